from ark.controllers.agent.otlp_env import otlp_env


def test_passes_the_exporter_and_sampler_settings_on_sorted() -> None:
    env = {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "OTEL_TRACES_SAMPLER_ARG": "0.5",
        "PATH": "/usr/bin",
    }
    assert otlp_env(env) == (
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "0.5"),
    )


def test_keeps_back_the_service_name_so_each_agent_names_itself() -> None:
    env = {"OTEL_SERVICE_NAME": "ark-operator", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}
    assert otlp_env(env) == (("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),)


def test_keeps_back_headers_which_may_carry_credentials() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer s3cret",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-key=s3cret",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces",
    }
    assert otlp_env(env) == (("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces"),)


def test_nothing_when_tracing_is_not_configured() -> None:
    assert otlp_env({"HOME": "/root", "OTEL_EXPORTER_OTLP_ENDPOINT": "", "XOTEL_A": "1"}) == ()
