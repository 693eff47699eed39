"""``python -m bench [NAME …]`` (``make bench``): every benchmark, or the named ones, each in its own process.

python -m bench              # import, align, coverage, map, report, load
python -m bench align map    # just these
"""

import subprocess
import sys

BENCHMARKS = ("import", "align", "coverage", "map", "report", "load")

wanted = sys.argv[1:] or list(BENCHMARKS)
unknown = [name for name in wanted if name not in BENCHMARKS]
if unknown:
    sys.exit(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)}")
failed = []
for name in wanted:
    print(f"\n=== bench_{name} ===", flush=True)
    if subprocess.run([sys.executable, "-m", f"bench.bench_{name}"]).returncode != 0:
        failed.append(name)
if failed:
    sys.exit(f"failed: {', '.join(failed)}")
