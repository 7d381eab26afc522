#!/usr/bin/env bash
# Assembles reelsmith.app from a release build. Run on macOS from the repository root:
#   bash packaging/macos/build-app.sh            (builds for the host architecture)
#   TARGET=aarch64-apple-darwin bash packaging/macos/build-app.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
target_args=()
bin_dir="${CARGO_TARGET_DIR:-target}/release"
if [ -n "${TARGET:-}" ]; then
  target_args=(--target "$TARGET")
  bin_dir="${CARGO_TARGET_DIR:-target}/$TARGET/release"
fi
cargo build --release "${target_args[@]}"

out="${OUT_DIR:-dist}/reelsmith.app"
rm -rf "$out"
mkdir -p "$out/Contents/MacOS" "$out/Contents/Resources"
cp "$bin_dir/reelsmith" "$out/Contents/MacOS/reelsmith"
sed "s/@VERSION@/$version/g" packaging/macos/Info.plist > "$out/Contents/Info.plist"

# The .icns is made from the committed PNGs with Apple's iconutil.
iconset=$(mktemp -d)/reelsmith.iconset
mkdir -p "$iconset"
for size in 16 32 128 256 512; do
  cp "assets/icons/reelsmith-$size.png" "$iconset/icon_${size}x${size}.png"
done
cp assets/icons/reelsmith-32.png "$iconset/icon_16x16@2x.png"
cp assets/icons/reelsmith-64.png "$iconset/icon_32x32@2x.png"
cp assets/icons/reelsmith-256.png "$iconset/icon_128x128@2x.png"
cp assets/icons/reelsmith-512.png "$iconset/icon_256x256@2x.png"
iconutil -c icns "$iconset" -o "$out/Contents/Resources/reelsmith.icns"

# Ad-hoc signature so Gatekeeper on the build machine runs it; distribute with a real identity.
codesign --force --deep --sign - "$out" || echo "codesign unavailable: the bundle is unsigned"
echo "built $out"
