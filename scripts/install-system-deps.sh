#!/usr/bin/env bash
# Debian packages the test suite uses (real servers and independent tools). Idempotent: packages
# already installed are skipped, so a second run costs nothing.
# fonts-noto-cjk: a Japanese font, so headless Chromium's screenshots and the SVG drawing (Graphviz,
# "Noto Sans CJK JP") show Japanese text instead of boxes.
set -euo pipefail
packages=(virtuoso-opensource raptor2-utils libapache-jena-java chromium graphviz fonts-noto-cjk)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
