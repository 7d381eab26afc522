# Shared build settings for CI and developers: source this file, then run cargo.
# One build cache outside the clone keeps reruns incremental; mold (when installed) links fast.
export CARGO_BUILD_BUILD_DIR="${CARGO_BUILD_BUILD_DIR:-$HOME/.cache/reelsmith/build}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/reelsmith/target}"
if command -v mold >/dev/null 2>&1; then
  export RUSTFLAGS="${RUSTFLAGS:--C link-arg=-fuse-ld=mold}"
fi
export CARGO_TERM_COLOR=never
