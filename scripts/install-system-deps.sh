#!/usr/bin/env bash
# Install the Debian packages docroute needs at run time: Tesseract and its language data, and the
# two shared libraries the opencv(-contrib)-python wheels link against (libGL.so.1, libglib-2.0.so.0;
# already present on desktops and CI images, missing on python:3.11-slim).
#
# Idempotent: does nothing when `tesseract` and every traineddata file are already present;
# otherwise runs `apt-get update` once and installs only the missing packages.
# Used by the README's setup steps, CI and the Dockerfile, so all three install the same thing.
#
# Runs as root; as another user it uses sudo when available, else fails with a clear message.
# Env: TESSDATA_DIR (default /usr/share/tesseract-ocr/5/tessdata) to look for traineddata in.
set -euo pipefail

TESSDATA_DIR="${TESSDATA_DIR:-/usr/share/tesseract-ocr/5/tessdata}"

# package -> file that proves it is installed
declare -A PROBE=(
  [tesseract-ocr]="tesseract"                   # a command, checked with `command -v`
  [tesseract-ocr-eng]="eng.traineddata"
  [tesseract-ocr-deu]="deu.traineddata"
  [tesseract-ocr-fra]="fra.traineddata"
  # the 16 languages of the "latin" character set: eng, deu, fra and these
  [tesseract-ocr-spa]="spa.traineddata"
  [tesseract-ocr-slk]="slk.traineddata"
  [tesseract-ocr-ces]="ces.traineddata"
  [tesseract-ocr-pol]="pol.traineddata"
  [tesseract-ocr-ita]="ita.traineddata"
  [tesseract-ocr-nld]="nld.traineddata"
  [tesseract-ocr-slv]="slv.traineddata"
  [tesseract-ocr-hrv]="hrv.traineddata"
  [tesseract-ocr-por]="por.traineddata"
  [tesseract-ocr-fin]="fin.traineddata"
  [tesseract-ocr-swe]="swe.traineddata"
  [tesseract-ocr-dan]="dan.traineddata"
  [tesseract-ocr-nor]="nor.traineddata"
  [tesseract-ocr-jpn]="jpn.traineddata"
  [tesseract-ocr-jpn-vert]="jpn_vert.traineddata"
  [tesseract-ocr-osd]="osd.traineddata"
  [libgl1]="libGL.so.1"                          # shared libraries, checked with ldconfig
  [libglib2.0-0]="libglib-2.0.so.0"
)
ORDER=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra
       tesseract-ocr-spa tesseract-ocr-slk tesseract-ocr-ces tesseract-ocr-pol tesseract-ocr-ita tesseract-ocr-nld tesseract-ocr-slv
       tesseract-ocr-hrv tesseract-ocr-por tesseract-ocr-fin tesseract-ocr-swe tesseract-ocr-dan tesseract-ocr-nor
       tesseract-ocr-jpn tesseract-ocr-jpn-vert tesseract-ocr-osd libgl1 libglib2.0-0)

# --with-test-fonts: what only the test suite needs: the fonts it renders its synthetic scans with
# (Latin and Japanese), the browser its console tests drive (Playwright cannot download one here)
# and the IMAP server (Dovecot) the mailbox gateway is tested against; production images need none.
if [[ "${1:-}" == "--with-test-fonts" ]]; then
  PROBE[fonts-dejavu-core]="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
  PROBE[fonts-ipafont-gothic]="/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"
  PROBE[chromium]="/usr/bin/chromium"
  # the IMAP server the mailbox gateway's tests run against (tests/e2e/test_examples.py)
  PROBE[dovecot-imapd]="/usr/lib/dovecot/imap"
  ORDER+=(fonts-dejavu-core fonts-ipafont-gothic chromium dovecot-imapd)
fi

has_lib() {
  local ldconfig
  ldconfig="$(command -v ldconfig || echo /sbin/ldconfig)"
  # no grep -q: it closes the pipe early and pipefail would report SIGPIPE as "missing"
  "$ldconfig" -p 2>/dev/null | grep "^[[:space:]]*$1 " >/dev/null
}

is_installed() {  # package -> 0 when its probe is satisfied
  local pkg="$1" probe="${PROBE[$1]}"
  case "$probe" in
    /*) [[ -e "$probe" ]] ;;
    *.traineddata) [[ -s "$TESSDATA_DIR/$probe" ]] ;;
    *.so.*) has_lib "$probe" ;;
    *) command -v "$probe" >/dev/null 2>&1 ;;
  esac
}

missing=()
for pkg in "${ORDER[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-system-deps: tesseract, its language data and the OpenCV libraries present, nothing to do"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: missing ${missing[*]} and apt-get is not available;" \
       "install them with your system's package manager" >&2
  exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  elif command -v sudo >/dev/null 2>&1 && [[ -t 0 ]]; then
    SUDO=(sudo)
  else
    echo "install-system-deps: need root to install ${missing[*]};" \
         "run as root or install sudo (no usable sudo found)" >&2
    exit 1
  fi
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

for pkg in "${ORDER[@]}"; do
  is_installed "$pkg" || {
    echo "install-system-deps: ${PROBE[$pkg]} still missing after installing $pkg" \
         "(set TESSDATA_DIR if your tesseract keeps its data elsewhere)" >&2
    exit 1
  }
done
echo "install-system-deps: done"
