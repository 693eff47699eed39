"""``python -m bench`` (``make bench``): the alignment benchmark on the default synthetic city."""

from bench.bench_align import main

main()
