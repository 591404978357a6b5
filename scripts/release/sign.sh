#!/usr/bin/env bash
# Key-pair signing of release artifacts with cosign, offline (no
# transparency log), and its verification, including a tampered copy that
# must fail. CI that reaches the internet signs keyless instead
# (.github/workflows/release.yml).
#
#   COSIGN=path/to/cosign scripts/release/sign.sh SBOM ARTIFACT...
#
# Environment:
#   COSIGN_KEY, COSIGN_PUB  an existing key pair; COSIGN_PASSWORD its password.
#                           Without them a throwaway pair is generated in a
#                           temporary directory (the CI case) with a random
#                           password, unless COSIGN_PASSWORD is set.
#   SIGN_OUT                where signatures go (default: beside each artifact)
#
# For each ARTIFACT (the binary, the image tarball when it exists): a
# signature ARTIFACT.sig, verified; an attestation ARTIFACT.att.json (a
# signed DSSE envelope) of the SBOM as an SPDX predicate, verified; and a one-byte change to a copy of the
# artifact, which must fail both verifications.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 SBOM ARTIFACT..." >&2
  exit 2
fi
sbom=$1
shift
cosign=${COSIGN:-cosign}
command -v "$cosign" >/dev/null || { echo "sign: cosign not found (make tool-cosign)" >&2; exit 2; }
[ -f "$sbom" ] || { echo "sign: no SBOM at $sbom" >&2; exit 2; }
for a in "$@"; do
  [ -f "$a" ] || { echo "sign: no artifact at $a" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Nothing reaches a transparency log or a timestamp authority.
export COSIGN_EXPERIMENTAL=0 SIGSTORE_NO_CACHE=1 TUF_ROOT=$tmp/tuf

if [ -n "${COSIGN_KEY:-}" ]; then
  key=$COSIGN_KEY
  pub=${COSIGN_PUB:?COSIGN_PUB must name the public key of COSIGN_KEY}
  : "${COSIGN_PASSWORD:?COSIGN_PASSWORD must be set for COSIGN_KEY}"
else
  if [ -z "${COSIGN_PASSWORD:-}" ]; then
    COSIGN_PASSWORD=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  fi
  export COSIGN_PASSWORD
  (cd "$tmp" && "$cosign" generate-key-pair >/dev/null 2>&1)
  key=$tmp/cosign.key pub=$tmp/cosign.pub
  echo "sign: generated a throwaway key pair (public key $(sha256sum "$pub" | cut -c1-16)…)"
fi

outdir() {
  if [ -n "${SIGN_OUT:-}" ]; then
    mkdir -p "$SIGN_OUT"
    echo "$SIGN_OUT"
  else
    dirname "$1"
  fi
}

# expect_fail runs a verification that must not pass.
expect_fail() {
  local what=$1
  shift
  if "$@" >"$tmp/out" 2>&1; then
    echo "sign: FAIL: $what verified, but must not" >&2
    exit 1
  fi
}

for a in "$@"; do
  name=$(basename "$a")
  dir=$(outdir "$a")
  sig=$dir/$name.sig att=$dir/$name.att.json

  "$cosign" sign-blob --yes --tlog-upload=false --key "$key" --output-signature "$sig" "$a" 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; exit 1; }
  "$cosign" verify-blob --insecure-ignore-tlog=true --key "$pub" --signature "$sig" "$a" >/dev/null 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; echo "sign: the signature of $a does not verify" >&2; exit 1; }

  # --output-signature holds the signed DSSE envelope (--output-attestation
  # would hold the unsigned statement only).
  "$cosign" attest-blob --yes --tlog-upload=false --key "$key" --type spdxjson --predicate "$sbom" \
    --output-signature "$att" "$a" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  "$cosign" verify-blob-attestation --insecure-ignore-tlog=true --key "$pub" --type spdxjson \
    --signature "$att" "$a" >/dev/null 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; echo "sign: the SBOM attestation of $a does not verify" >&2; exit 1; }

  # A copy with one byte changed must fail both.
  cp "$a" "$tmp/tampered"
  printf '\x00' | dd of="$tmp/tampered" bs=1 seek=$(($(stat -c %s "$a") / 2)) conv=notrunc status=none
  if cmp -s "$a" "$tmp/tampered"; then
    printf '\x01' | dd of="$tmp/tampered" bs=1 seek=$(($(stat -c %s "$a") / 2)) conv=notrunc status=none
  fi
  expect_fail "a tampered copy of $name (signature)" \
    "$cosign" verify-blob --insecure-ignore-tlog=true --key "$pub" --signature "$sig" "$tmp/tampered"
  expect_fail "a tampered copy of $name (attestation)" \
    "$cosign" verify-blob-attestation --insecure-ignore-tlog=true --key "$pub" --type spdxjson --signature "$att" "$tmp/tampered"
  echo "sign: $a signed ($sig) and attested ($att); verified, and a tampered copy is refused"
done
case " $* " in
*.oci.tar\ *) ;;
*) echo "sign: no image tarball given (scripts/build/build_image.sh writes bin/image/shoal-VERSION.oci.tar); signed only: $*" ;;
esac
