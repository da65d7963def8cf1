# What the agent suites' run.sh share (sourced): the agent's CLI from npm into a cache,
# and the tollgate binary they drive.

# npm_cli PACKAGE VERSION PREFIX BIN: installs PACKAGE@VERSION under PREFIX unless its
# BIN already runs there; prints the path of BIN.
npm_cli() {
  local package=$1 version=$2 prefix=$3 bin="$3/node_modules/.bin/$4"
  if ! "$bin" --version >/dev/null 2>&1; then
    echo "installing $package@$version into $prefix" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "$package@$version" >&2
  fi
  echo "$bin"
}

# tollgate_bin REPO: $TOLLGATE_BIN, else REPO's release build (built when missing), as an
# absolute path.
tollgate_bin() {
  local repo=$1 bin="${TOLLGATE_BIN:-$1/target/release/tollgate}"
  if [ ! -x "$bin" ]; then
    echo "building $bin (cargo build --release)" >&2
    (cd "$repo" && env -u CARGO_TARGET_DIR cargo build --release --locked -q) >&2
  fi
  echo "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
}
