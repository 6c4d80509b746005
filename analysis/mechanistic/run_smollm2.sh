#!/usr/bin/env bash
# The README's SmolLM2-135M-Instruct figures, offline on a CPU: base vs a briefly tuned copy (xlfact train sft).
# Sized for a shared 2-core machine (minutes); raise --tokens-per-lang / --chunks / --limit for real measurements.
# Usage: analysis/mechanistic/run_smollm2.sh OUT_DIR   (needs ../shared/data/KLAR-CLC or $XLFACT_KLAR_DIR)
set -euo pipefail
OUT=${1:?usage: run_smollm2.sh OUT_DIR}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
export XLFACT_KLAR_DIR=${XLFACT_KLAR_DIR:-$HERE/../shared/data/KLAR-CLC}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
BASE=$(python -c "from xlfact.cli.demo import ensure_default_model; print(ensure_default_model())")
LANGS=en,es,fr,ru,zh,ja,ar
TUNED=$OUT/smollm2-sft
mkdir -p "$OUT"

if [ ! -f "$TUNED/config.json" ]; then  # a brief SFT-with-consistency run on the bundled PolyFact sample
  xlfact train sft --config sft_tiny_cpu model.name_or_path="$BASE" data.data_dir="$HERE/tasks/polyfact/sample_data" \
    "data.languages=[en,es,zh]" lora.modules_to_save=null training.learning_rate=1e-3 data.max_facts=4 \
    training.num_train_epochs=1 training.max_steps=2 training.per_device_train_batch_size=2 training.logging_steps=1 \
    output_dir="$TUNED"
fi

for NAME in base tuned; do
  MODEL=$BASE; LENS_LANGS=es,fr,ru,zh,ja,ar
  if [ "$NAME" = tuned ]; then MODEL=$TUNED; LENS_LANGS=es,zh; fi
  xlfact analyze logit-lens --model "$MODEL" --output_path "$OUT/$NAME" --langs $LENS_LANGS --per-relation 1 --no-progress
  xlfact analyze lape --model "$MODEL" --output_path "$OUT/$NAME" --langs $LANGS --tokens-per-lang 1024 --seq-len 256 \
    --no-progress
  xlfact analyze lahis --model "$MODEL" --output_path "$OUT/$NAME" --langs $LANGS --chunks 2 --no-progress
  [ -d "$OUT/$NAME-klar" ] || xlfact eval --model hf --model_args pretrained="$MODEL" --tasks klar_en,klar_es,klar_fr \
    --limit 4 --batch_size 4 --log_samples --output_path "$OUT/$NAME-klar"
done
xlfact analyze failures "$OUT/base-klar" "$OUT/tuned-klar" --output_path "$OUT/failures"
xlfact analyze compare "$OUT/base" "$OUT/tuned" --labels base,tuned --output_path "$OUT/compare"
