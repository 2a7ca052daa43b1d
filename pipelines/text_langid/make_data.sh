#!/bin/sh
# Makes the language identification data (make_data.py) from the gettext catalogs of these Debian packages.
# The catalogs are read where the packages put them (/usr/share/locale); nothing is copied into the repo.
# packages.tsv records the versions the committed model was trained on; a different version changes the text.
# Usage: pipelines/text_langid/make_data.sh [OUT]   (default OUT: /work/langid-data; needs root for apt-get)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/work/langid-data}
packages="adduser appstream apt at-spi2-common bash binutils-common coreutils diffutils dpkg findutils gettext
  gettext-base git gnupg-l10n grep gsettings-desktop-schemas krb5-locales libapt-pkg6.0 libavahi-common-data
  libc-l10n libdpkg-perl libelf1 libexif12 libgdk-pixbuf2.0-common libglib2.0-data libgnutls30 libgphoto2-port12
  libgstreamer-plugins-base1.0-0 libgstreamer1.0-0 libgtk2.0-common libidn2-0 libpam-runtime libpq5
  libzvbi-common login make man-db net-tools packagekit polkitd postgresql-15 postgresql-client-15 procps psmisc
  python-apt-common sed shared-mime-info software-properties-common systemd tar wget xdg-user-dirs xkb-data
  xz-utils"
missing=""
for p in $packages; do
  dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi
nice -n 10 /usr/bin/python3 "$here/make_data.py" --out "$out"
if ! diff -q "$here/packages.tsv" "$out/packages.tsv" >/dev/null; then
  echo "note: the installed package versions differ from packages.tsv (the committed model's data):" >&2
  diff "$here/packages.tsv" "$out/packages.tsv" >&2 || true
fi
