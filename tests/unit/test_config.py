from pathlib import Path

import pytest

from govern.config import load_config
from govern.errors import InputError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVERN_REGISTRY_URL", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)


def test_defaults_when_nothing_is_configured(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.registry_url is None
    assert (config.schemas_dir, config.contracts_dir) == ("schemas", "contracts")


def test_precedence_flags_over_environment_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "govern.toml").write_text('registry_url = "http://file:1"\nschemas_dir = "avro"\n')
    assert load_config(tmp_path).registry_url == "http://file:1"
    monkeypatch.setenv("GOVERN_REGISTRY_URL", "http://env:2")
    assert load_config(tmp_path).registry_url == "http://env:2"
    assert load_config(tmp_path, registry_url="http://flag:3").registry_url == "http://flag:3"
    assert load_config(tmp_path, registry_url=None).schemas_dir == "avro"


def test_pyproject_tool_section_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.govern]\ncontracts_dir = "c"\n')
    assert load_config(tmp_path).contracts_dir == "c"


def test_unknown_setting_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "govern.toml").write_text('registry = "http://typo"\n')
    with pytest.raises(InputError, match=r"govern\.toml: unknown setting 'registry'"):
        load_config(tmp_path)


def test_invalid_toml_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "govern.toml").write_text("registry_url = \n")
    with pytest.raises(InputError, match="invalid TOML"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("schemas_dir = 3\n", "must be a non-empty string"),
        ('contracts_dir = "../elsewhere"\n', "inside the project"),
        ('default_compatibility = "BACKWARDS"\n', "invalid default_compatibility"),
    ],
)
def test_bad_values_are_errors(tmp_path: Path, text: str, words: str) -> None:
    (tmp_path / "govern.toml").write_text(text)
    with pytest.raises(InputError, match=words):
        load_config(tmp_path)
