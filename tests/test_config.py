from pathlib import Path

import pytest

from tutor.config import Settings, load_settings
from tutor.errors import ConfigError


def test_defaults_without_file_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings == Settings(home=settings.home)
    assert settings.llm == "smollm2" and settings.embedder == "all-minilm-l6-v2"


def test_file_then_environment_then_overrides(tmp_path: Path):
    config = tmp_path / "tutor.toml"
    config.write_text(
        '[tutor]\nllm = "/models/x.gguf"\ntop_k = 6\n[tutor.limits]\nmax_file_bytes = 1000\n'
    )
    env = {
        "TUTOR_TOP_K": "3",
        "TUTOR_HOME": str(tmp_path / "h"),
        "TUTOR_LIMITS__MAX_PDF_PAGES": "9",
    }
    settings = load_settings(config, environ=env, port=9000)
    assert settings.llm == "/models/x.gguf"
    assert settings.top_k == 3
    assert settings.home == tmp_path / "h"
    assert settings.limits.max_file_bytes == 1000
    assert settings.limits.max_pdf_pages == 9
    assert settings.port == 9000


@pytest.mark.parametrize(
    ("text", "message"),
    [("[tutor]\nnope = 1\n", "unknown setting 'nope'"), ("[tutor\n", "not valid TOML")],
)
def test_bad_files_are_clear_errors(tmp_path: Path, text: str, message: str):
    config = tmp_path / "tutor.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(config, environ={})


def test_bad_environment_value():
    with pytest.raises(ConfigError, match="top_k"):
        load_settings(environ={"TUTOR_TOP_K": "many"})


def test_missing_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.toml", environ={})


def test_variables_that_are_not_settings_are_ignored():
    env = {"TUTOR_LOG_LEVEL": "INFO", "TUTOR_SHARED_DATA": "/data", "TUTOR_EVAL_PASSWORD": "x"}
    settings = load_settings(environ=env)
    assert settings.top_k == Settings().top_k
