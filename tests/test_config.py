from pathlib import Path

import pytest

from seascout.core.config import ConfigError, load_settings, parse_config


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

    from seascout.core.config import Config

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


@pytest.mark.parametrize(("text", "line", "what"), [
    ('[digest]\ntimezone = "Asia/Shangai"\n', 2, "did you mean 'Asia/Shanghai'"),
    ('[digest]\ntimezone = "UTC"\n\n[schedule]\ntimezone = "Mars/Olympus"\n', 5, "unknown timezone"),
    ('[schedule]\ncron = "0 8 * * 8"\n', 2, "day of week: 8 is outside 0–7"),
    ('[schedule]\ncron = "0 8 * *"\n', 2, "5 fields"),
    ('[schedule]\ncron = "61 8 * * 1"\n', 2, "minute: 61 is outside 0–59"),
    ('[schedule]\ncron = "0 8 * * funday"\n', 2, "not a number or a name"),
    ('[schedule]\ncron = "*/0 8 * * 1"\n', 2, "step '0'"),
    ('# mail\n[delivery.email]\nenabled = true\n', 2, "host, recipients, sender (or user) are not set"),
    ('[delivery.email]\nenabled = true\nhost = "smtp.example.org"\nsender = "a@example.org"\n', 1,
     "recipients is not set"),
    ('[sources.arxiv]\napi_url = "export.arxiv.org/api/query"\n', 2, "not an http(s) URL"),
    ('[[sources.news.sites]]\nname = "a"\nstart_urls = ["https://a.org/"]\nallowed_domains = ["a.org"]\n'
     'article_pattern = "x"\n\n[[sources.news.sites]]\nname = "b"\nstart_urls = ["b.org/news"]\n'
     'allowed_domains = ["b.org"]\narticle_pattern = "x"\n', 9, "not an http(s) URL"),
    ('[delivery.email]\nenabled = "yes"\n', 2, "'delivery.email.enabled': Input should be a valid boolean"),
    ('[sources.arxiv]\nenabled = 1\n', 2, "valid boolean"),  # TOML has true and false
])
def test_every_value_is_checked_at_load_with_file_and_line(tmp_path: Path, text: str, line: int,
                                                           what: str) -> None:
    cfg = tmp_path / "seascout.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    assert str(e.value).startswith(f"{cfg}:{line}: ") and what in str(e.value), str(e.value)


def test_good_schedules_and_mail_are_accepted() -> None:
    for cron in ("0 8 * * 1", "*/15 8-18 * jan-DEC mon-fri", "0 0 1,15 * *", "@weekly", "0 8 * * 7"):
        assert parse_config(f'[schedule]\ncron = "{cron}"\n').schedule.cron == cron
    mail = parse_config('[delivery.email]\nenabled = true\nhost = "smtp.example.org"\n'
                        'sender = "a@example.org"\nrecipients = ["lab@example.org"]\n')
    assert mail.delivery.email.enabled


def test_a_bad_timezone_stops_the_digest_at_load_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from seascout.app.cli import app

    cfg = tmp_path / "seascout.toml"
    cfg.write_text('[digest]\ntimezone = "Asia/Shangai"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["digest", "--config", str(cfg)])
    assert result.exit_code == 2 and f"{cfg}:2" in result.output
    assert result.output.strip().splitlines() == [
        f"config error: {cfg}:2: 'digest.timezone': unknown timezone — did you mean "
        "'Asia/Shanghai'? (got 'Asia/Shangai')"]


def test_every_file_seascout_writes_is_under_its_home(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "state"))
    s = load_settings(None)
    home = (tmp_path / "state").resolve()
    for path in (s.db_path, s.digest_dir, s.cache_dir):
        assert path.is_relative_to(home), path
