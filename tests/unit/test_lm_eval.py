"""lm-evaluation-harness reader: the real Pythia v0.3 files, a v0.4 fixture, broken variants."""

from __future__ import annotations

import builtins
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from dashboard.ingest.base import Claim, ReadResult
from dashboard.ingest.lm_eval import READER, metric_name, model_experiment, parse_model_args
from dashboard.ingest.walk import Walker

PYTHIA = "D-EleutherAI-pythia-lmeval-160m-zeroshot"
V04_NAME = "results_2024-06-13T17-54-04.861173.json"


def claims(root: Path) -> list[Claim]:
    return Walker(str(root)).walk([READER])


def read_tree(root: Path) -> ReadResult:
    out = ReadResult()
    for claim in claims(root):
        result = READER.read(claim)
        out.runs += result.runs
        out.problems += result.problems
    return out


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


def v03(revision: str = "step1000", acc: float = 0.5) -> dict[str, Any]:
    """The shape of Pythia's files, trimmed to two tasks."""
    return {
        "results": {
            "lambada_openai": {"ppl": 38.06, "ppl_stderr": 1.43, "acc": acc, "acc_stderr": 0.0065},
            "wsc": {"acc": 0.365, "acc_stderr": 0.047},
        },
        "versions": {"lambada_openai": 0, "wsc": 0},
        "config": {
            "model": "hf-causal",
            "model_args": f"pretrained=EleutherAI/pythia-v1.1-160m,revision={revision}",
            "num_fewshot": 0,
            "batch_size": 16,
            "device": "cuda:7",
            "no_cache": True,
            "limit": None,
            "bootstrap_iters": 100000,
            "description_dict": {},
        },
    }


def v04() -> dict[str, Any]:
    """A results file as lm-eval 0.4.3 writes it (``lm_eval --output_path out``)."""
    mmlu = {"alias": "mmlu", "acc,none": 0.2578, "acc_stderr,none": 0.0037}
    return {
        "results": {
            "hellaswag": {
                "alias": "hellaswag",
                "acc,none": 0.2891,
                "acc_stderr,none": 0.0045,
                "acc_norm,none": 0.3114,
                "acc_norm_stderr,none": 0.0046,
            },
            "gsm8k": {
                "alias": "gsm8k",
                "exact_match,strict-match": 0.0159,
                "exact_match_stderr,strict-match": 0.0034,
                "exact_match,flexible-extract": 0.0235,
                "exact_match_stderr,flexible-extract": 0.0042,
            },
            "lambada_openai": {
                "alias": "lambada_openai",
                "perplexity,none": 32.41,
                "perplexity_stderr,none": 1.21,
                "acc,none": 0.3761,
                "acc_stderr,none": 0.0067,
            },
            "mmlu": mmlu,
            "mmlu_abstract_algebra": {
                "alias": "  - abstract_algebra",
                "acc,none": 0.22,
                "acc_stderr,none": "N/A",
            },
        },
        "groups": {"mmlu": dict(mmlu)},
        "group_subtasks": {"mmlu": ["mmlu_abstract_algebra"], "hellaswag": [], "gsm8k": []},
        "configs": {
            "hellaswag": {
                "task": "hellaswag",
                "num_fewshot": 0,
                "metric_list": [
                    {"metric": "acc", "aggregation": "mean", "higher_is_better": True},
                    {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True},
                ],
                "metadata": {"version": 1.0},
            },
        },
        "versions": {
            "hellaswag": 1.0,
            "gsm8k": 3.0,
            "lambada_openai": 1.0,
            "mmlu": 0,
            "mmlu_abstract_algebra": 0.0,
        },
        "n-shot": {"hellaswag": 0, "gsm8k": 5, "lambada_openai": 0, "mmlu_abstract_algebra": 0},
        "higher_is_better": {
            "hellaswag": {"acc": True, "acc_norm": True},
            "gsm8k": {"exact_match": True},
            "lambada_openai": {"perplexity": False, "acc": True},
            "mmlu": {"acc": True},
        },
        "n-samples": {"hellaswag": {"original": 10042, "effective": 10042}},
        "config": {
            "model": "hf",
            "model_args": "pretrained=EleutherAI/pythia-160m,revision=step100000,dtype=float16,trust_remote_code=True",
            "model_num_parameters": 162322944,
            "model_dtype": "torch.float16",
            "model_revision": "step100000",
            "model_sha": "50f5173d932e8e61f858120bcb800b97af589f46",
            "batch_size": "auto:4",
            "batch_sizes": [64, 64, 64, 64, 64],
            "device": "cuda:0",
            "use_cache": None,
            "limit": None,
            "bootstrap_iters": 100000,
            "gen_kwargs": None,
            "random_seed": 0,
            "numpy_seed": 1234,
            "torch_seed": 1234,
            "fewshot_seed": 1234,
        },
        "git_hash": "4600d6bf",
        "date": 1718301244.8611732,
        "pretty_env_info": "PyTorch version: 2.3.1+cu121\n...",
        "transformers_version": "4.41.2",
        "upper_git_hash": None,
        "tokenizer_pad_token": ["<|endoftext|>", "0"],
        "eot_token_id": 0,
        "max_length": 2048,
        "task_hashes": {},
        "model_source": "hf",
        "model_name": "EleutherAI/pythia-160m",
        "model_name_sanitized": "EleutherAI__pythia-160m",
        "system_instruction": None,
        "system_instruction_sha": None,
        "fewshot_as_multiturn": False,
        "chat_template": None,
        "chat_template_sha": None,
        "start_time": 1272225.578433881,
        "end_time": 1276832.731746671,
        "total_evaluation_time_seconds": "4607.153312789975",
    }


# ---------------------------------------------------------------- the real Pythia files


def test_pythia_folder_is_one_claim_of_both_files(realdata: Path) -> None:
    (claim,) = claims(realdata / PYTHIA)
    assert claim.reader == "lm_eval"
    assert [os.path.basename(f) for f in claim.files] == ["160m_step1000.json", "160m_step143000.json"]
    assert all(os.path.isabs(f) for f in claim.files)


def test_pythia_two_checkpoints_of_one_experiment(realdata: Path) -> None:
    result = read_tree(realdata / PYTHIA)
    assert result.problems == []
    early, late = result.runs
    assert (early.key, early.step, late.key, late.step) == ("160m_step1000", 1000, "160m_step143000", 143000)
    assert early.experiment == late.experiment == "EleutherAI/pythia-v1.1-160m"
    assert early.name == "160m_step1000"
    assert early.status == late.status == "completed"
    assert early.source == "lm_eval"
    assert early.path == str(realdata / PYTHIA / "160m_step1000.json")
    assert early.files == [early.path]
    assert early.notes == [] and early.series == {}
    assert len(early.metrics) == len(late.metrics) == 344


def test_pythia_exact_metric_values(realdata: Path) -> None:
    early, late = read_tree(realdata / PYTHIA).runs
    assert early.metrics["hendrycksTest-marketing/acc"] == 0.27350427350427353
    assert early.metrics["hendrycksTest-marketing/acc_stderr"] == 0.029202540153431183
    assert early.metrics["hendrycksTest-marketing/acc_norm_stderr"] == 0.029996951858349483
    assert early.metrics["lambada_openai/ppl"] == 2591.451412162786
    assert early.metrics["lambada_openai/ppl_stderr"] == 111.22201519272778
    assert late.metrics["lambada_openai/ppl"] == 38.064877017771195
    assert late.metrics["lambada_openai/acc"] == 0.3283524160683097
    assert late.metrics["hendrycksTest-marketing/acc"] == 0.3247863247863248
    assert late.metrics["crows_pairs_english/pct_stereotype"] == 0.5617173524150268
    assert late.metrics["crows_pairs_english/likelihood_difference_stderr"] == 0.09229036087110502
    assert late.metrics["wsc/acc"] == 0.36538461538461536


def test_pythia_params(realdata: Path) -> None:
    early, late = read_tree(realdata / PYTHIA).runs
    assert early.params["model"] == "hf-causal"
    assert (
        early.params["model_args"]
        == "use_accelerate=True,pretrained=EleutherAI/pythia-v1.1-160m,revision=step1000"
    )
    assert early.params["model_args.use_accelerate"] is True
    assert early.params["model_args.pretrained"] == "EleutherAI/pythia-v1.1-160m"
    assert early.params["model_args.revision"] == "step1000"
    assert "model_args.use_accelerate" not in late.params
    assert (early.params["batch_size"], late.params["batch_size"]) == (32, 16)
    assert (early.params["device"], late.params["device"]) == (None, "cuda:7")
    assert early.params["num_fewshot"] == 0
    assert early.params["limit"] is None
    assert early.params["bootstrap_iters"] == 100000
    assert early.params["no_cache"] is True
    assert early.params["versions.wsc"] == 0
    assert early.params["versions.hendrycksTest-marketing"] == 0


def test_pythia_copied_into_a_deeper_tree(realdata: Path, tmp_path: Path) -> None:
    target = tmp_path / "evals" / "pythia-160m" / "zero-shot"
    shutil.copytree(realdata / PYTHIA, target)
    for name in os.listdir(target):
        os.chmod(target / name, 0o644)
    result = read_tree(tmp_path)
    assert [r.step for r in result.runs] == [1000, 143000]


# ---------------------------------------------------------------- v0.4


@pytest.fixture
def v04_run(tmp_path: Path):
    write(tmp_path / "EleutherAI__pythia-160m" / V04_NAME, v04())
    write(tmp_path / "EleutherAI__pythia-160m" / "samples_hellaswag_2024-06-13T17-54-04.861173.jsonl", "{}\n")
    result = read_tree(tmp_path)
    assert result.problems == []
    (run,) = result.runs
    return run


def test_v04_identity(v04_run) -> None:
    assert v04_run.key == V04_NAME[:-5]
    assert v04_run.name == "EleutherAI__pythia-160m/" + V04_NAME[:-5]
    assert v04_run.experiment == "EleutherAI/pythia-160m"
    assert v04_run.step == 100000  # from model_args revision=step100000
    assert v04_run.status == "completed"


def test_v04_metric_filter_keys(v04_run) -> None:
    m = v04_run.metrics
    assert m["hellaswag/acc"] == 0.2891
    assert m["hellaswag/acc_stderr"] == 0.0045
    assert m["hellaswag/acc_norm_stderr"] == 0.0046
    assert m["gsm8k/exact_match[strict-match]"] == 0.0159
    assert m["gsm8k/exact_match[strict-match]_stderr"] == 0.0034
    assert m["gsm8k/exact_match[flexible-extract]"] == 0.0235
    assert m["gsm8k/exact_match[flexible-extract]_stderr"] == 0.0042
    assert m["lambada_openai/perplexity"] == 32.41
    assert m["mmlu/acc"] == 0.2578
    assert m["mmlu_abstract_algebra/acc"] == 0.22
    assert "mmlu_abstract_algebra/acc_stderr" not in m  # "N/A"
    assert m["total_evaluation_time_seconds"] == 4607.153312789975
    assert not any("alias" in k or "," in k for k in m)
    assert len(m) == 4 + 4 + 4 + 2 + 1 + 1
    assert any('"N/A"' in n for n in v04_run.notes)
    assert any("[strict-match]" in n for n in v04_run.notes)


def test_v04_params(v04_run) -> None:
    p = v04_run.params
    assert p["model"] == "hf"
    assert p["batch_size"] == "auto:4"
    assert p["batch_sizes"] == [64, 64, 64, 64, 64]
    assert p["model_args.dtype"] == "float16"
    assert p["model_args.trust_remote_code"] is True
    assert p["model_args.revision"] == "step100000"
    assert p["model_num_parameters"] == 162322944
    assert p["date"] == 1718301244.8611732
    assert p["model_name"] == "EleutherAI/pythia-160m"
    assert p["git_hash"] == "4600d6bf"
    assert p["n-shot.gsm8k"] == 5
    assert p["n-shot.hellaswag"] == 0
    assert p["versions.gsm8k"] == 3.0
    assert p["higher_is_better.lambada_openai/perplexity"] is False
    assert p["higher_is_better.gsm8k/exact_match"] is True
    assert p["higher_is_better.hellaswag/acc_norm"] is True
    assert "pretty_env_info" not in p and "tokenizer_pad_token" not in p
    assert not any(k.startswith("configs.") for k in p)


def test_v04_configs_fill_in_missing_summaries(tmp_path: Path) -> None:
    data = v04()
    del data["n-shot"], data["higher_is_better"]
    data["configs"]["hellaswag"]["num_fewshot"] = 10
    write(tmp_path / "m" / V04_NAME, data)
    (run,) = read_tree(tmp_path).runs
    assert run.params["n-shot.hellaswag"] == 10
    assert run.params["higher_is_better.hellaswag/acc"] is True
    assert "n-shot.gsm8k" not in run.params


def test_v04_model_args_as_a_mapping(tmp_path: Path) -> None:
    data = v04()
    data["config"]["model_args"] = {"pretrained": "/ckpt/run7/checkpoint-500", "dtype": "bfloat16"}
    del data["model_name"], data["config"]["model_revision"]
    write(tmp_path / "m" / "results.json", data)
    (run,) = read_tree(tmp_path).runs
    assert run.params["model_args.dtype"] == "bfloat16"
    assert run.experiment == "run7"
    assert run.step == 500


def test_v04_groups_only_in_groups(tmp_path: Path) -> None:
    data = v04()
    del data["results"]["mmlu"]
    write(tmp_path / "m" / V04_NAME, data)
    (run,) = read_tree(tmp_path).runs
    assert run.metrics["mmlu/acc"] == 0.2578


# ---------------------------------------------------------------- claim


def test_claims_pythia_names_and_results_names(tmp_path: Path) -> None:
    write(tmp_path / "a" / "160m_step1000.json", v03())
    write(tmp_path / "b" / "results.json", v03())
    write(tmp_path / "b" / "samples_wsc.jsonl", "{}\n")
    write(tmp_path / "c" / "hf_results_lm_eval.json", v03())
    assert [os.path.basename(c.folder) for c in claims(tmp_path)] == ["a", "b", "c"]
    assert [os.path.basename(f) for f in claims(tmp_path)[1].files] == ["results.json"]


def test_claims_a_json_only_folder_with_any_name(tmp_path: Path) -> None:
    write(tmp_path / "zero-shot" / "pythia-160m.json", v03())
    write(tmp_path / "zero-shot" / "README.md", "notes")
    (run,) = read_tree(tmp_path).runs
    assert run.key == "pythia-160m" and run.step == 1000


@pytest.mark.parametrize(
    "names",
    [
        ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"],
        ["adapter_config.json", "generation_config.json", "model.safetensors.index.json"],
        ["training_config.json", "paper_metrics_results.json"],
        ["trainer_state.json", "all_results.json", "eval_results.json"],
        ["metrics.csv", "hparams.yaml", "summary.json"],  # a Lightning run with a stray JSON
        ["metrics.train.jsonl", "args.yaml", "extra.json"],
        ["train.log", "final.json"],
    ],
)
def test_does_not_claim_other_formats(tmp_path: Path, names: list[str]) -> None:
    for name in names:
        write(tmp_path / "run" / name, "{}")
    assert claims(tmp_path) == []


def test_a_folder_of_many_arbitrary_json_files_is_a_data_set(tmp_path: Path) -> None:
    for i in range(257):
        write(tmp_path / "annotations" / f"img_{i:04d}.json", "{}")
    for i in range(300):
        write(tmp_path / "pythia" / f"160m_step{i}.json", "{}")
    assert [os.path.basename(c.folder) for c in claims(tmp_path)] == ["pythia"]


def test_unrelated_json_folder_is_silent(tmp_path: Path) -> None:
    write(tmp_path / "dashboard" / "runs_registry.json", {"runs": [{"checkpoint_path": "None"}]})
    write(tmp_path / "dashboard" / "broken.json", '{"runs": [')
    write(tmp_path / "dashboard" / "list.json", [1, 2])
    (claim,) = claims(tmp_path)
    assert READER.read(claim) == ReadResult()


# ---------------------------------------------------------------- broken variants


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"results": {"wsc": {"acc": 0.36', "truncated JSON"),
        ("", "empty file"),
        (b"\x00\x01\x02\x03binary", "binary file"),
        ("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 22000\n", "Git LFS pointer"),
        ('{"results": [1], "versions": {}}', "`results` should map task -> metrics, found list"),
        ('{"results": {}, "versions": {}}', "holds no task"),
        ('{"results": {"wsc": {"acc": 0.3}}}', "without `versions`"),
        ('{"results": {"wsc": {"acc": "high"}}, "versions": {}}', "no numeric task results"),
    ],
)
def test_broken_results_file_is_a_problem(tmp_path: Path, content: str | bytes, reason: str) -> None:
    path = tmp_path / "m" / "results_2024-01-01T00-00-00.json"
    path.parent.mkdir()
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = read_tree(tmp_path)
    assert result.runs == []
    (problem,) = result.problems
    assert problem.path == str(path) and problem.reader == "lm_eval"
    assert reason in problem.reason


@pytest.mark.parametrize("content", ["[1, 2]", '{"accuracy": 0.9}', '"text"', "null"])
def test_results_json_of_another_tool_is_silent(tmp_path: Path, content: str) -> None:
    """Only a file that tries to be harness output (a `results` key) is worth a problem."""
    write(tmp_path / "m" / "results.json", content)
    assert read_tree(tmp_path) == ReadResult()


def test_broken_sibling_of_a_good_file(tmp_path: Path) -> None:
    write(tmp_path / "m" / "a.json", v03("step1000"))
    bad = write(tmp_path / "m" / "b.json", json.dumps(v03("step2000"))[:-40])
    other = write(tmp_path / "m" / "c.json", {"note": "not an evaluation"})
    odd = write(tmp_path / "m" / "d.json", {"results": {"wsc": 0.3}, "config": {}})
    result = read_tree(tmp_path)
    assert [r.key for r in result.runs] == ["a"]
    assert [(p.path, p.reason) for p in result.problems] == [
        (str(bad), "truncated JSON (ends at line 1)"),
        (str(odd), "not lm-eval output: `results` holds no task -> metrics mapping"),
    ]
    assert str(other) not in {p.path for p in result.problems}


def test_weak_named_broken_file_alone_is_silent(tmp_path: Path) -> None:
    write(tmp_path / "m" / "pythia.json", json.dumps(v03())[:-40])
    assert read_tree(tmp_path) == ReadResult()


def test_nan_infinity_and_na_are_missing(tmp_path: Path) -> None:
    text = json.dumps(v03()).replace("1.43", "NaN").replace("0.0065", "Infinity").replace("0.047", '"N/A"')
    write(tmp_path / "m" / "results.json", text)
    (run,) = read_tree(tmp_path).runs
    assert "lambada_openai/ppl_stderr" not in run.metrics
    assert "lambada_openai/acc_stderr" not in run.metrics
    assert "wsc/acc_stderr" not in run.metrics
    assert run.metrics["lambada_openai/ppl"] == 38.06
    assert run.notes == ['1 stderr values written as "N/A" (not computed) read as missing']


def test_wrong_types_inside_a_good_file(tmp_path: Path) -> None:
    data = v03()
    data["results"]["broken_task"] = [0.5]
    data["results"]["wsc"]["acc"] = True
    data["versions"] = ["not", "a", "mapping"]
    data["config"]["model_args"] = 12
    write(tmp_path / "m" / "results.json", data)
    (run,) = read_tree(tmp_path).runs
    assert "wsc/acc" not in run.metrics and run.metrics["wsc/acc_stderr"] == 0.047
    assert run.params["model_args"] == 12
    assert not any(k.startswith("versions.") for k in run.params)
    assert any("broken_task" in n for n in run.notes)
    assert run.experiment == "m"  # no model name anywhere: the folder's


def test_bom_and_trailing_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "m" / "results.json"
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(v03()).encode() + b"\n\n")
    (run,) = read_tree(tmp_path).runs
    assert run.metrics["wsc/acc"] == 0.365


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = write(tmp_path / "m" / "160m_step1000.json", v03())
    locked = write(tmp_path / "m" / "160m_step2000.json", v03("step2000"))
    real_open = builtins.open

    def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    result = read_tree(tmp_path)
    assert [r.path for r in result.runs] == [str(good)]
    assert [(p.path, p.reason) for p in result.problems] == [(str(locked), "permission denied")]


def test_file_vanishes_between_claim_and_read(tmp_path: Path) -> None:
    path = write(tmp_path / "m" / "results.json", v03())
    (claim,) = claims(tmp_path)
    path.unlink()
    (problem,) = READER.read(claim).problems
    assert problem.reason == "file vanished while scanning"


# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("acc", "t/acc"),
        ("acc_stderr", "t/acc_stderr"),
        ("acc,none", "t/acc"),
        ("acc_stderr,none", "t/acc_stderr"),
        ("exact_match,strict-match", "t/exact_match[strict-match]"),
        ("exact_match_stderr,strict-match", "t/exact_match[strict-match]_stderr"),
        ("bleu,", "t/bleu"),
    ],
)
def test_metric_name(key: str, name: str) -> None:
    assert metric_name("t", key) == name


def test_parse_model_args() -> None:
    assert parse_model_args(
        "pretrained=a/b,revision=step5,dtype=float16,max_length=2048,x=1e-3,y=nan,z=False"
    ) == {
        "pretrained": "a/b",
        "revision": "step5",
        "dtype": "float16",
        "max_length": 2048,
        "x": 0.001,
        "y": "nan",
        "z": False,
    }
    assert parse_model_args("pretrained=m,peft=a,b,,") == {"pretrained": "m", "peft": "a,b"}
    assert parse_model_args("") == {}
    assert parse_model_args("garbage") == {}


@pytest.mark.parametrize(
    ("model", "experiment"),
    [
        ("EleutherAI/pythia-160m", "EleutherAI/pythia-160m"),
        ("gpt2", "gpt2"),
        ("/ckpt/run7/checkpoints/checkpoint_002000/consolidated", "run7"),
        ("./out/run3/checkpoint-500", "run3"),
        ("/models/llama-7b", "llama-7b"),
        ("step1000", "step1000"),
    ],
)
def test_model_experiment(model: str, experiment: str) -> None:
    assert model_experiment(model) == experiment
