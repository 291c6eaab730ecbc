# frozen_string_literal: true

# engrate/handle.rb: the ownership of one C model, in one place. A Handle holds the
# engrate_model pointer in an FFI::AutoPointer and a pool of C queries and results for
# estimates, and frees them all exactly once: at #close, or when the garbage collector
# finds the handle unreachable, or at exit, whichever comes first.
#
# The rules that make misuse from Ruby unable to crash:
#   - every call that passes the model pointer runs inside #use or #scratch, which count
#     the callers inside; #close marks the handle closed and frees only when none is left,
#     so a thread closing a model while another estimates with it (or while a batch runs
#     with Ruby's lock released) never frees memory in use. Entering a closed handle
#     raises IOError.
#   - one Handle per C model: a Model's dup, clone and Marshal.load load a model of their
#     own from the text (Model#initialize_copy), never share this one.
#   - the releaser captures the pool and the pointer only, never a Ruby object that holds
#     the handle, so it does not keep the handle alive and runs in any collection order.
#     It frees the queries and results before the model they were made for.

module Engrate
  class Handle
    def self.releaser(pool)
      proc do |model|
        pool.each do |query, result, _err|
          Raw.engrate_query_free(query)
          Raw.engrate_result_free(result)
        end
        pool.clear
        Raw.engrate_model_free(model)
      end
    end
    private_class_method :releaser

    def initialize(ptr)
      @pool = [] # [query, result, error] triples, one per concurrent estimate, reused
      @ptr = FFI::AutoPointer.new(ptr, Handle.send(:releaser, @pool))
      @mutex = Mutex.new
      @busy = 0
      @closed = false
    end

    def closed?
      @closed
    end

    # IOError when closed.
    def check
      raise IOError, "the engrate model is closed" if @closed
    end

    # Yield the C model; it is not freed before the block returns.
    def use
      enter(false)
      begin
        yield @ptr
      ensure
        leave(nil)
      end
    end

    # Yield the C model, and a query, a result and an error struct for this caller alone
    # (emptied by the next use, so read the result inside the block).
    def scratch
      pair = enter(true)
      begin
        pair ||= new_pair
        yield @ptr, pair[0], pair[1], pair[2]
      ensure
        leave(pair)
      end
    end

    # Free the C model now, or when the last caller inside leaves. Idempotent.
    def close
      free = @mutex.synchronize do
        next false if @closed

        @closed = true
        @busy.zero?
      end
      @ptr.free if free
      nil
    end

    private

    # Count a caller in; with pair, take a pooled [query, result, error] (nil when none is
    # free).
    def enter(pair)
      @mutex.synchronize do
        check
        @busy += 1
        pair ? @pool.pop : nil
      end
    end

    def leave(pair)
      free = @mutex.synchronize do
        @busy -= 1
        @pool << pair if pair
        @closed && @busy.zero?
      end
      @ptr.free if free
    end

    def new_pair
      err = Raw::ErrorStruct.new
      query = Raw.engrate_query_new(@ptr, err)
      raise Error.from(err) if query.null?

      result = Raw.engrate_result_new(@ptr, err)
      if result.null?
        Raw.engrate_query_free(query)
        raise Error.from(err)
      end
      [query, result, err]
    end
  end
  private_constant :Handle
end
