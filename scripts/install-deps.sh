#!/usr/bin/env bash
# Installs, with apt-get, whichever of dsplan's build and test dependencies are missing
# (Debian 12 package names). Run as root, or with sudo available.
set -euo pipefail
packages=(g++ cmake make libcli11-dev nlohmann-json3-dev libfmt-dev catch2 libbenchmark-dev libcurl4-openssl-dev python3 librsvg2-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
