#!/bin/sh
# Usage: changelog.sh VERSION MAINTAINER
# Prints the .deb's changelog.Debian: one entry for this build, dated with
# the commit (reproducible). The upstream changes are NEWS.md, shipped as
# changelog.gz next to it.
set -e
cd "$(dirname "$0")/../.."
when=$(git log -1 --format=%ct 2>/dev/null || date +%s)
cat <<END
krenew ($1-1) unstable; urgency=medium

  * Built by make package; the upstream changes are in changelog.gz
    (NEWS.md).

 -- $2  $(LC_ALL=C date -u -R -d "@$when")
END
