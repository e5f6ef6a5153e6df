"""The vLLM command line we build, for the CPU default and the GPU profile."""

from tutorbot.llm import server as serve
from tutorbot.settings import Settings


def test_cpu_command_binds_loopback_with_prefix_caching(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path)
    cmd = serve.build_command(s, "/m")
    assert cmd[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    for flag, value in [("--host", "127.0.0.1"), ("--model", "/m"), ("--max-model-len", "4096"),
                        ("--served-model-name", "smollm2-135m-instruct")]:
        assert cmd[cmd.index(flag) + 1] == value
    assert "--enable-prefix-caching" in cmd and "--tensor-parallel-size" not in cmd
    assert serve.build_env(s)["VLLM_CPU_KVCACHE_SPACE"] == "1"


def test_gpu_profile_passes_gpu_flags_and_keeps_the_key_out_of_argv(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path, llm={"api_key": "k3y"},
                 serve={"device": "gpu", "tensor_parallel_size": 2, "gpu_memory_utilization": 0.8,
                        "extra_args": "--max-num-seqs 64"})
    cmd = serve.build_command(s, "Qwen/Qwen2.5-7B-Instruct")
    assert cmd[cmd.index("--tensor-parallel-size") + 1] == "2"
    assert cmd[cmd.index("--gpu-memory-utilization") + 1] == "0.8"
    assert cmd[-2:] == ["--max-num-seqs", "64"] and "k3y" not in " ".join(cmd)
    assert serve.build_env(s)["VLLM_API_KEY"] == "k3y"


def test_missing_llm_venv_names_the_fix(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path, serve={"python": tmp_path / "nope" / "python"})
    try:
        serve.ensure_model(s)
    except serve.ServeError as exc:
        assert "make llm-env" in str(exc)
    else:
        raise AssertionError("expected ServeError")
