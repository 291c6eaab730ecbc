/* holder.c: the model engrate-serve answers with, and hot reload.
 *
 * A request takes a reference to the current model when it starts and gives it back when
 * it ends, so it sees one model from start to end. A reload loads the whole new model
 * first, outside the lock, then swaps the pointer under the lock: no request can see a
 * model half loaded, and a refused file changes nothing. The old model is freed by
 * whoever lets go of it last, the reload itself if no request holds it. The lock is held
 * only for a pointer swap or a reference increment. */
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void no_memory(engrate_error *err)
{
    if (err) {
        memset(err, 0, sizeof *err);
        err->code = ENGRATE_E_NOMEM;
        snprintf(err->text, sizeof err->text, "out of memory");
    }
}

static served_model *served_model_new(const char *path, unsigned long generation,
                                      engrate_error *err)
{
    served_model *sm = calloc(1, sizeof *sm);
    if (!sm) {
        no_memory(err);
        return NULL;
    }
    sm->model = engrate_model_load(path, 0, err);
    if (!sm->model) {
        free(sm);
        return NULL;
    }
    sm->generation = generation;
    sm->loaded_at = serve_now();
    sm->model_json = api_model_json(sm->model, generation, sm->loaded_at, &sm->model_json_len);
    if (!sm->model_json) {
        engrate_model_free(sm->model);
        free(sm);
        no_memory(err);
        return NULL;
    }
    atomic_init(&sm->refs, 1); /* the holder's own reference */
    return sm;
}

served_model *served_model_retain(served_model *sm)
{
    atomic_fetch_add_explicit(&sm->refs, 1, memory_order_relaxed);
    return sm;
}

void served_model_release(served_model *sm)
{
    if (!sm)
        return;
    /* acq_rel: the last releaser must see every other user's accesses as done. */
    if (atomic_fetch_sub_explicit(&sm->refs, 1, memory_order_acq_rel) != 1)
        return;
    engrate_model_free(sm->model);
    free(sm->model_json);
    free(sm);
}

int holder_init(holder *h, const char *path, engrate_error *err)
{
    memset(h, 0, sizeof *h);
    if (!path || !*path) {
        const char *env = getenv("ENGRATE_MODEL");
        path = env && *env ? env : engrate_model_default_path();
    }
    h->path = strdup(path);
    if (!h->path) {
        no_memory(err);
        return ENGRATE_E_NOMEM;
    }
    h->current = served_model_new(h->path, 1, err);
    if (!h->current) {
        free(h->path);
        h->path = NULL;
        return err ? err->code : ENGRATE_E_IO;
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->reload_lock, NULL);
    return 0;
}

void holder_destroy(holder *h)
{
    if (!h->path)
        return;
    served_model_release(h->current);
    h->current = NULL;
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->reload_lock);
    free(h->path);
    h->path = NULL;
}

served_model *holder_acquire(holder *h)
{
    pthread_mutex_lock(&h->lock);
    served_model *sm = served_model_retain(h->current);
    pthread_mutex_unlock(&h->lock);
    return sm;
}

int holder_reload(holder *h, engrate_error *err)
{
    engrate_error local;
    if (!err)
        err = &local;
    pthread_mutex_lock(&h->reload_lock);
    /* Only reloads change current, and they are serialised: reading it here is safe. */
    unsigned long next = h->current->generation + 1;
    served_model *fresh = served_model_new(h->path, next, err);
    served_model *old = NULL;
    pthread_mutex_lock(&h->lock);
    h->status.last_at = serve_now();
    if (fresh) {
        old = h->current;
        h->current = fresh;
        h->status.ok++;
        h->status.last_failed = 0;
        h->status.last_error[0] = '\0';
    } else {
        h->status.failed++;
        h->status.last_failed = 1;
        snprintf(h->status.last_error, sizeof h->status.last_error, "%s", err->text);
    }
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_unlock(&h->reload_lock);
    served_model_release(old);
    return fresh ? 0 : (err->code < 0 ? err->code : ENGRATE_E_IO);
}

void holder_get_status(holder *h, reload_status *out)
{
    pthread_mutex_lock(&h->lock);
    *out = h->status;
    pthread_mutex_unlock(&h->lock);
}

const char *holder_path(const holder *h)
{
    return h->path;
}
