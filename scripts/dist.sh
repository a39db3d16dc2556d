#!/usr/bin/env bash
# make dist: kam's release archives in dist/ — linux amd64 and arm64 (.tar.gz) and
# windows amd64 (.zip), each a folder kam-VERSION-OS-ARCH/ with the binary,
# kam.example.yaml, docs/deploy.md and contrib/ — and SHA256SUMS over them.
# The same commit gives the same archives: files carry the commit's time, no owner.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo unknown)}
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)

rm -rf dist
stage=dist/.stage
for target in linux/amd64 linux/arm64 windows/amd64; do
	os=${target%/*} arch=${target#*/}
	name=kam-$VERSION-$os-$arch
	dir=$stage/$name
	exe=kam
	[ "$os" = windows ] && exe=kam.exe
	mkdir -p "$dir/docs"
	echo "building $name"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$GO" build -trimpath -ldflags "-s -w -X kam/domain.version=$VERSION" -o "$dir/$exe" ./cmd/kam
	cp kam.example.yaml "$dir/"
	cp docs/deploy.md "$dir/docs/"
	cp -R contrib "$dir/"
	chmod -R u=rwX,go=rX "$dir"
	find "$dir" -exec touch -h -d "@$epoch" {} +
	if [ "$os" = windows ]; then
		if command -v zip >/dev/null; then
			(cd "$stage" && find "$name" | LC_ALL=C sort | zip -qX "../$name.zip" -@)
		else
			(cd "$stage" && python3 -m zipfile -c "../$name.zip" "$name")
		fi
	else
		tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf - "$name" | gzip -9n >"dist/$name.tar.gz"
	fi
done
rm -rf "$stage"
(cd dist && sha256sum kam-"$VERSION"-* >SHA256SUMS)
echo "dist/:"
(cd dist && ls -l && cat SHA256SUMS)
