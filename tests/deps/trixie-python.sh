#!/bin/bash
# trixie-python.sh DEST PACKAGE...: fetches pure-Python packages newer
# than Debian 12 has (ipywidgets 8 and its comm) from Debian 13 ("trixie")
# and unpacks them under DEST, for tests only: a private apt configuration
# (its own sources list, lists, cache and status under DEST/.apt) so that
# the system's apt sources and installed packages are never touched.
# The kernel finds them through PYTHONPATH=DEST/usr/lib/python3/dist-packages.
set -euo pipefail
dest=$1
shift
apt=$dest/.apt
rm -rf "$apt"
mkdir -p "$apt"/{lists/partial,cache/archives/partial,state,etc/sources.list.d,etc/preferences.d,etc/apt.conf.d,debs}
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$apt/etc/sources.list"
: >"$apt/state/status"
cat >"$apt/apt.conf" <<CONF
Dir::Etc "$apt/etc";
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Preferences "$apt/etc/preferences";
Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
Dir::State "$apt/state";
Dir::State::Lists "$apt/lists";
Dir::State::status "$apt/state/status";
Dir::Cache "$apt/cache";
APT::Architecture "$(dpkg --print-architecture)";
APT::Sandbox::User "root";
CONF
export APT_CONFIG=$apt/apt.conf
apt-get update -qq
(cd "$apt/debs" && apt-get download -qq "$@")
for deb in "$apt"/debs/*.deb; do
	dpkg -x "$deb" "$dest"
done
rm -rf "$apt"
echo "trixie-python: unpacked $* into $dest"
