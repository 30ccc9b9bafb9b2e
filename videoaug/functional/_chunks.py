"""Cache-sized chunks of a CPU kernel, run on a small pool of single-threaded workers.

A memory-bound kernel that makes several passes (uint8 -> float, a matrix product, a clamp, float -> uint8) is
several times faster when each pass runs over a chunk that fits in a core's L2 cache. Run with torch's own
intra-op threads, every chunk and every op opens a parallel region, and on a busy machine (other processes on
the cores) each region waits for a descheduled thread: measured on the 2-core dev machine under load, chunks
with intra-op threads were 6x *slower* than no chunks. Here instead each chunk runs whole on one worker thread
whose intra-op parallelism is 1 (``torch.set_num_threads`` is per thread under OpenMP), and the workers share
the chunks, so there is one synchronisation per call. Measured on 32x16 frames of 112x112 uint8 RGB (the
colour matrix of ColorJitter): 23 ms pooled in chunks against 126 ms in one pass and 34 ms for a bare uint8 ->
float copy, same process, same load.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import torch

__all__: list[str] = []

_PREFIX = "videoaug-chunks"
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] | None = None


def _get_pool(workers: int) -> ThreadPoolExecutor:
    """The shared pool for ``workers`` threads, recreated after a fork (a forked DataLoader worker inherits
    the pool object but not its threads) or when torch's thread count changed."""
    global _pool, _pool_key
    key = (os.getpid(), workers)
    with _lock:
        if _pool_key != key:
            if _pool is not None and _pool_key is not None and _pool_key[0] == key[0]:
                _pool.shutdown(wait=False)  # same process, other thread count (a forked child leaves it be)
            _pool = ThreadPoolExecutor(workers, thread_name_prefix=_PREFIX, initializer=torch.set_num_threads,
                                       initargs=(1,))
            _pool_key = key
        return _pool


def run_chunked(fn: Callable[[int, int], None], total: int, step: int) -> None:
    """Call ``fn(start, stop)`` over ``range(0, total)`` in pieces of ``step``, spread over torch's CPU
    threads.

    ``fn`` must write disjoint outputs for disjoint ranges. With one thread (e.g. inside a DataLoader worker,
    where torch uses one) or one chunk, it runs inline.
    """
    starts = range(0, total, max(1, step))
    workers = torch.get_num_threads()
    if workers <= 1 or len(starts) <= 1 or threading.current_thread().name.startswith(_PREFIX):
        for s in starts:
            fn(s, min(s + step, total))
        return
    pool = _get_pool(workers)
    # Worker threads do not inherit the caller's autograd modes: carry them over, or an inference-mode input
    # could not be written from a worker ("Inplace update to inference tensor outside InferenceMode").
    inference, grad = torch.is_inference_mode_enabled(), torch.is_grad_enabled()

    def task(start: int, stop: int) -> None:
        with torch.inference_mode(inference), torch.set_grad_enabled(grad):
            fn(start, stop)

    futures = [pool.submit(task, s, min(s + step, total)) for s in starts]
    for f in futures:
        f.result()


#: Elements per chunk: 1 MB of float32, half a core's L2 on the dev machine (colour, erasing, map_frames).
CHUNK_ELEMENTS = 1 << 18
#: Values per CPU chunk of clips of the RandAugment-style ops (4 MB as float32: several working copies per op).
AUGMENT_CHUNK_ELEMENTS = 1 << 20


def map_frames(
    video: torch.Tensor,
    out_dtype: torch.dtype,
    op: Callable[[torch.Tensor, torch.Tensor], None],
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """``op(src, dst)`` over chunks of whole frames ``(n, C, H, W)`` of a contiguous CPU ``video``, writing
    into a new tensor of ``out_dtype`` (or into ``out``); elsewhere (GPU, non-contiguous) one call on
    everything."""
    if out is None:
        out = torch.empty(video.shape, dtype=out_dtype, device=video.device)
    if video.device.type != "cpu" or not video.is_contiguous() or not out.is_contiguous() or video.ndim < 4:
        op(video, out)
        return out
    src = video.view(-1, *video.shape[-3:])
    dst = out.view(src.shape)
    per_frame = max(1, src[0].numel())
    run_chunked(lambda s, e: op(src[s:e], dst[s:e]), src.shape[0], max(1, CHUNK_ELEMENTS // per_frame))
    return out
