pytest_plugins = ["tests.fixtures.infra", "tests.fixtures.auth", "tests.fixtures.dovecot"]
