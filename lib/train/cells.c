/* cells.c: what a spreadsheet's cell says. Numbers as spreadsheets write them, Japanese
 * ones included (full-width digits, 800,000, ¥ and 円, 万, 年 and ヶ月), the spellings of
 * "no value" (an empty cell, NA, #N/A, -, 不明 ...), and a label's text made fit to be a
 * name. docs/training.md, "Numbers" and "Labels", lists exactly what is accepted. */
#include "config.h"

#include <string.h>

#include "trainer.h"

/* ---- Code points ------------------------------------------------------------------- */

/* The code point at s[*i] (valid UTF-8: the reader checked it), advancing *i. */
static unsigned next_cp(const char *s, size_t *i)
{
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t len = p[0] < 0x80 ? 1 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;
    unsigned c = len == 1 ? p[0] : p[0] & (0xFFu >> (len + 1));
    for (size_t k = 1; k < len; k++)
        c = (c << 6) | (p[k] & 0x3F);
    *i += len;
    return c;
}

static int is_blank_cp(unsigned c) { return c == ' ' || c == '\t' || c == 0x3000 || c == 0xA0; }

/* s[0..*n) without the blanks (ASCII, U+3000, U+00A0) around it. */
static const char *trim_cell(const char *s, size_t *n)
{
    size_t a = 0, b = *n;
    while (a < b) {
        size_t j = a;
        if (!is_blank_cp(next_cp(s, &j)))
            break;
        a = j;
    }
    while (b > a) {
        size_t k = b - 1;
        while (k > a && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        size_t j = k;
        if (!is_blank_cp(next_cp(s, &j)))
            break;
        b = k;
    }
    *n = b - a;
    return s + a;
}

/* ---- No value ---------------------------------------------------------------------- */

int tr_cell_missing(const char *s, size_t n)
{
    if (n && s[0] >= '0' && s[0] <= '9')
        return 0; /* no spelling of "no value" starts with a digit */
    static const char *const words[] = {"na", "n/a", "#n/a", "nan", "null", "none", NULL};
    static const char *const marks[] = {"-", "\xE2\x88\x92", "\xEF\xBC\x8D", "\xE2\x80\x95",
                                        "\xE2\x80\x94", "\xE2\x80\x90", "\xE4\xB8\x8D\xE6\x98\x8E",
                                        NULL}; /* - − － ― — ‐ 不明 */
    s = trim_cell(s, &n);
    if (n == 0)
        return 1;
    for (size_t w = 0; words[w]; w++) {
        size_t k = 0;
        while (k < n && words[w][k] &&
               (s[k] >= 'A' && s[k] <= 'Z' ? s[k] + 32 : s[k]) == words[w][k])
            k++;
        if (k == n && !words[w][k])
            return 1;
    }
    for (size_t w = 0; marks[w]; w++)
        if (strlen(marks[w]) == n && memcmp(marks[w], s, n) == 0)
            return 1;
    return 0;
}

/* ---- Numbers ----------------------------------------------------------------------- */

/* What to_ascii writes for the currency signs and units: bytes no cell can hold (to_ascii
 * refuses control characters), so that ASCII letters are never taken for units. */
enum { U_YEN = 1, U_EN, U_MAN, U_SEN, U_NEN, U_MONTHS };

/* The cell's text as ASCII: full-width digits and signs as their ASCII forms, the currency
 * signs ¥ ￥ \ as U_YEN, 円 万 千 年 as U_EN U_MAN U_SEN U_NEN, and the month counters
 * ヶ月 ケ月 か月 カ月 ヵ月 箇月 as U_MONTHS. Blanks before a unit are dropped. 0, or -1 for
 * a character that cannot be part of a number. */
static int to_ascii(const char *s, size_t n, char *out, size_t cap)
{
    static const unsigned units[] = {0x5186, 0x4E07, 0x5343, 0x5E74}; /* 円 万 千 年 */
    static const unsigned counters[] = {0x30F6, 0x30B1, 0x304B, 0x30AB, 0x30F5, 0x7B87};
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned c = next_cp(s, &i);
        char a = 0;
        if (c >= 0xFF01 && c <= 0xFF5E) /* full-width ASCII: ０-９ ． ， ＋ － ｅ */
            c -= 0xFF01 - 0x21;
        if (c == 0x2212)
            c = '-';
        if (c >= 0x20 && c < 0x7F && c != '\\')
            a = (char)c;
        else if (c == 0xA5 || c == 0xFFE5 || c == '\\')
            a = U_YEN;
        else if (is_blank_cp(c))
            a = ' ';
        for (size_t k = 0; !a && k < 4; k++)
            if (c == units[k])
                a = (char)(U_EN + k);
        for (size_t k = 0; !a && k < 6; k++)
            if (c == counters[k]) {
                if (i >= n || next_cp(s, &i) != 0x6708) /* the counter needs its 月 */
                    return -1;
                a = U_MONTHS;
            }
        if (!a || o + 1 >= cap)
            return -1;
        if (a >= U_EN && a <= U_MONTHS && o && out[o - 1] == ' ')
            o--; /* "80 万円" */
        out[o++] = a;
    }
    out[o] = '\0';
    return 0;
}

/* An unsigned decimal at *p: digits with optional thousands groups (1,234,567) [. digits]
 * [e [+-] digits], or .digits, copied to out without the group separators. Advances *p;
 * 0, or -1 when there is none. */
static int decimal(const char **p, char *out, size_t cap)
{
    const char *s = *p;
    size_t o = 0, run = 0;
    int groups = 0;
    if (*s == '.' && s[1] >= '0' && s[1] <= '9')
        out[o++] = '0';
    else if (*s < '0' || *s > '9')
        return -1;
    for (; (*s >= '0' && *s <= '9') || *s == ','; s++) {
        if (*s == ',') { /* 1-3 digits before the first separator, then 3 between */
            if (run == 0 || run > 3 || (groups && run != 3))
                return -1;
            groups = 1;
            run = 0;
            continue;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = *s;
        run++;
    }
    if (groups && run != 3)
        return -1;
    const char *start = s;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            ;
    if (*s == 'e' || *s == 'E') {
        const char *e = s + 1;
        e += *e == '+' || *e == '-';
        if (*e >= '0' && *e <= '9') {
            while (*e >= '0' && *e <= '9')
                e++;
            s = e;
        }
    }
    if (o + (size_t)(s - start) + 1 >= cap)
        return -1;
    memcpy(out + o, start, (size_t)(s - start));
    out[o + (size_t)(s - start)] = '\0';
    *p = s;
    return 0;
}

/* Years and months: "5年", "6ヶ月", "5年6ヶ月" at p (the number before it in num), with
 * nothing after. */
static int years_months(const char *p, const char *num, double *out)
{
    char months[64];
    double y = 0, m = 0;
    if (*p == U_NEN) {
        if (er_parse_double(num, strlen(num), &y))
            return -1;
        if (!*++p) {
            *out = y;
            return 0;
        }
        if (*p == '+' || *p == '-' || decimal(&p, months, sizeof months))
            return -1;
        num = months;
    }
    if (*p != U_MONTHS || p[1] || er_parse_double(num, strlen(num), &m))
        return -1;
    *out = y + m / 12;
    return 0;
}

/* Whether s[0..n) is [-]digits[.digits]: text the general path below would hand to
 * er_parse_double unchanged. 1 with its value in *out when it has at most 15 significant
 * digits and 22 after the point (the digits are then an integer below 2^53 and the power
 * of ten exact, so one division is correctly rounded: what er_parse_double gives), -1 when
 * it is such text but longer (er_parse_double's, then), 0 when it is not. */
static int plain_decimal(const char *s, size_t n, double *out)
{
    size_t i = s[0] == '-', digits = 0, frac = 0, sig = 0;
    uint64_t m = 0;
    for (int part = 0; part < 2; part++) {
        if (part) {
            if (i == n || s[i] != '.')
                break;
            i++;
        }
        size_t from = i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            sig += sig || s[i] != '0';
            if (sig <= 15)
                m = m * 10 + (uint64_t)(s[i] - '0');
        }
        if (i == from)
            return 0; /* no digits, or none after the point */
        if (part)
            frac = i - from;
        else
            digits = i - from;
    }
    if (i != n || !digits)
        return 0;
    if (sig > 15 || frac > 22)
        return -1;
    double v = frac ? (double)m / er_pow10_exact[frac] : (double)m;
    *out = s[0] == '-' ? -v : v;
    return 1;
}

int tr_cell_number(const char *s, size_t n, double *out)
{
    char a[160], num[160];
    int plain = n && n <= 60 ? plain_decimal(s, n, out) : 0;
    if (plain)
        return plain > 0 || !er_parse_double(s, n, out) ? 0 : ENGRATE_E_NUMBER;
    s = trim_cell(s, &n);
    if (n == 0 || n > 120 || to_ascii(s, n, a, sizeof a))
        return ENGRATE_E_NUMBER;
    const char *p = a;
    int neg = 0, yen = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (*p == U_YEN) { /* ¥800,000, -¥800, ¥-800 */
        yen = 1;
        p++;
        if (!neg && (*p == '+' || *p == '-'))
            neg = *p++ == '-';
    }
    num[0] = '-';
    if (*p == '+' || *p == '-' || decimal(&p, num + 1, sizeof num - 8))
        return ENGRATE_E_NUMBER;
    char *d = neg ? num : num + 1;
    if (strpbrk(d, "eE") && *p)
        return ENGRATE_E_NUMBER; /* an exponent and a unit: not a spreadsheet's number */
    if (!yen && (*p == U_NEN || *p == U_MONTHS))
        return years_months(p, d, out) ? ENGRATE_E_NUMBER : 0;
    static const char en[] = {U_EN, 0}, man[] = {U_MAN, 0}, man_en[] = {U_MAN, U_EN, 0},
                      sen_en[] = {U_SEN, U_EN, 0};
    const char *scale = !*p || !strcmp(p, en)                    ? ""
                        : !strcmp(p, man) || !strcmp(p, man_en) ? "e4"
                        : !strcmp(p, sen_en)                    ? "e3"
                                                                : NULL;
    if (!scale)
        return ENGRATE_E_NUMBER;
    strcat(d, scale); /* 80.5万 is 80.5e4, correctly rounded, not 80.5 * 10000 */
    return er_parse_double(d, strlen(d), out) ? ENGRATE_E_NUMBER : 0;
}
