from pathlib import Path

import pytest

from seascout.config import ConfigError, load_settings, parse_config


def test_defaults_are_valid_and_cover_the_field() -> None:
    cfg = parse_config("")
    assert cfg.sources.arxiv.page_size >= 1000
    assert "2375-2548" in cfg.sources.crossref.journals  # Science Advances
    assert cfg.triage.model == ""  # offline by default


def test_unknown_key_names_file_line_and_suggestion() -> None:
    text = 'contact_email = "a@b.org"\n\n[sources.arxiv]\npage_sise = 1000\n'
    with pytest.raises(ConfigError) as e:
        parse_config(text, "seascout.toml")
    msg = str(e.value)
    assert "seascout.toml:4" in msg and "sources.arxiv.page_sise" in msg and "page_size" in msg


def test_mistyped_value_is_explained() -> None:
    with pytest.raises(ConfigError, match="page_size"):
        parse_config("[sources.arxiv]\npage_size = 5000\n", "x.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[sources\n", "x.toml")


def test_secrets_come_from_the_environment_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "seascout.toml"
    cfg.write_text('[delivery.email]\npassword_env = "MY_SMTP_PW"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="password"):
        parse_config('[delivery.email]\npassword = "hunter2"\n')
    monkeypatch.setenv("MY_SMTP_PW", "s3cret")
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "state"))
    s = load_settings(cfg)
    assert s.secret(s.config.delivery.email.password_env) == "s3cret"
    assert s.db_path == (tmp_path / "state" / "seascout.duckdb").resolve()


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_example_config_lists_every_key_with_its_default() -> None:
    """seascout.example.toml documents the defaults; it must not drift from the code."""
    from pathlib import Path

    from seascout.config import Config

    text = (Path(__file__).resolve().parents[1] / "seascout.example.toml").read_text(encoding="utf-8")
    assert parse_config(text, "seascout.example.toml") == Config()

    def keys(model: type, prefix: str = "") -> list[str]:
        out = []
        for name, field in model.model_fields.items():
            sub = field.annotation
            if isinstance(sub, type) and hasattr(sub, "model_fields"):
                out += keys(sub, f"{prefix}{name}.")
            else:
                out.append(f"{prefix}{name}")
        return out

    for dotted in keys(Config):
        assert dotted.rsplit(".", 1)[-1] in text, f"{dotted} is not documented in seascout.example.toml"
