"""The cyclic garbage collector's settings for Dealflow's processes.

Python's defaults (a young collection every 700 net allocations, a full one whenever the
objects promoted reach a quarter of the old ones) suit small scripts. A consumer batch or a
recompute holds hundreds of thousands of short-lived objects at once (touches, runs, their
JSON), which those defaults promote and then scan in full collections: in attribution's
recompute, full collections of about 200 ms each took a fifth of the time (bench/attribution
at 10,000 deals: storing runs +37-44% per CPU second, unchanged inputs +66-88%, with these
settings; docs/performance.md). Almost all of
those objects are freed by reference counting; collecting cycles less often costs a little
memory.
"""

import gc

#: Young collections every 50,000 net allocations; a middle one every 20 young; a full one
#: every 100 middle ones (and, as always, only once promotions reach a quarter of the old).
THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Applies THRESHOLDS, and the first time moves what exists now (modules, classes,
    settings: objects that live as long as the process) out of the collector's sight, so a full
    collection scans only what the work made. Call once the process has started; later calls
    (a test process starts many runtimes) freeze nothing more, so their garbage stays
    collectable."""
    gc.set_threshold(*THRESHOLDS)
    if gc.get_freeze_count() == 0:
        gc.freeze()
