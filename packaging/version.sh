#!/bin/sh
# Prints krenew's version, as the packages and `krenew --version` carry it:
# X.Y.Z at a release tag vX.Y.Z; between releases, the release at the top of
# NEWS.md with ~git.N.REV after it (N commits, REV the commit, .dirty for
# uncommitted changes), which dpkg and rpm sort before X.Y.Z itself and
# after the previous commit's. Without git (a tarball), NEWS.md's release.
set -e
cd "$(dirname "$0")/.."
release=$(sed -n 's/^krenew \([0-9][0-9.]*\) .*/\1/p' NEWS.md | head -n 1)
if [ -z "$release" ]; then
	echo "packaging/version.sh: NEWS.md names no release ('krenew X.Y.Z (...)')" >&2
	exit 1
fi
if ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo "$release"
	exit 0
fi
if tag=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); then
	echo "${tag#v}"
	exit 0
fi
version="$release~git.$(git rev-list --count HEAD).$(git rev-parse --short=12 HEAD)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	version="$version.dirty"
fi
echo "$version"
