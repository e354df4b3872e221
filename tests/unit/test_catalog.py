"""govern.catalog: the real contracts/ + schemas/ load as DESIGN §5 says, and every broken tree
fails with an InputError (exit 2) naming file:line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import fastavro
import pytest

from govern.catalog import (
    Catalog,
    TopicSpec,
    catalog_to_dict,
    load_catalog,
    topic_specs,
)
from govern.errors import ExitCode, InputError

ROOT = Path(__file__).resolve().parents[2]

# DESIGN §5: topic -> (producers, consumers, cleanup policy)
# DESIGN §5's table, plus one reader it does not list: the transaction service reads its own
# outcome topics back (the guids already answered), so a change to them must stay readable to it.
EXPECTED = {
    "account-request": (("ui",), ("account",), "delete"),
    "account": (("account",), ("transaction", "ui", "wallet"), "compact"),
    "exchange-rate": (("rate",), ("transaction", "ui", "wallet"), "compact"),
    "transaction-request": (("ui",), ("transaction",), "delete"),
    "transaction-success": (("transaction",), ("transaction", "ui", "wallet"), "delete"),
    "transaction-failed": (("transaction",), ("transaction", "ui"), "delete"),
    "wallet": (("wallet",), ("ui",), "compact"),
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(ROOT)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of contracts/ and schemas/ to break."""
    for name in ("contracts", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `needle`."""
    hits = [n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def fails(root: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_catalog(root)
    error = info.value
    assert error.exit_code == ExitCode.BAD_INPUT
    assert "\n" not in error.message
    assert error.hint
    return error


def assert_at(error: InputError, path: Path, line: int) -> None:
    assert re.search(rf"{re.escape(str(path))}:{line}(:\d+)?: ", error.message), error.message


# --- the real tree ------------------------------------------------------------------------------


def test_public_topics_match_design_table(catalog: Catalog) -> None:
    public = {t.name: t for t in catalog.topics if not t.internal}
    assert list(public) == list(EXPECTED)
    for name, (producers, consumers, cleanup) in EXPECTED.items():
        topic = public[name]
        assert topic.producers == producers, name
        assert topic.consumers == consumers, name
        assert topic.cleanup_policy == cleanup, name
        assert topic.compatibility == "BACKWARD"
        assert topic.partitions >= 1
        assert topic.value_subject == f"{name}-value"


def test_value_schemas_per_topic(catalog: Catalog) -> None:
    names = {t.name: t.value_schema.name for t in catalog.topics}
    assert names == {
        "account-request": "io.govern.exchange.AccountRequest",
        "account": "io.govern.exchange.Account",
        "exchange-rate": "io.govern.exchange.ExchangeRate",
        "transaction-request": "io.govern.exchange.TransactionRequest",
        "transaction-success": "io.govern.exchange.Transaction",
        "transaction-failed": "io.govern.exchange.TransactionRejected",
        "wallet": "io.govern.exchange.Wallet",
        "transaction-balance-changelog": "io.govern.exchange.internal.Balance",
    }
    for topic in catalog.topics:
        assert topic.value_schema.file == Path("schemas") / f"{topic.value_schema.name}.avsc"
    assert catalog.topic("exchange-rate").key == "BASE-QUOTE"


def test_internal_changelog_belongs_to_transaction(catalog: Catalog) -> None:
    changelog = catalog.topic("transaction-balance-changelog")
    assert changelog.internal
    assert changelog.cleanup_policy == "compact"
    assert changelog.producers == changelog.consumers == ("transaction",)


def test_services(catalog: Catalog) -> None:
    assert [s.name for s in catalog.services] == ["account", "rate", "transaction", "ui", "wallet"]
    assert catalog.service("ui").produces == ("account-request", "transaction-request")
    assert catalog.service("rate").consumes == ()
    assert catalog.service("wallet").file == Path("contracts/wallet.yaml")
    with pytest.raises(KeyError):
        catalog.service("nope")


def test_references_are_inlined_and_self_contained(catalog: Catalog) -> None:
    account = catalog.schemas["io.govern.exchange.Account"]
    assert account.references == ("io.govern.exchange.Address",)
    assert "io.govern.exchange.Address" in str(account.schema)  # by name as written
    for ref in catalog.schemas.values():
        fastavro.parse_schema(dict(ref.expanded))  # no named_schemas needed


def test_topic_specs(catalog: Catalog) -> None:
    specs = topic_specs(catalog)
    assert specs[0] == TopicSpec("account-request", 3, {"cleanup.policy": "delete"})
    assert {s.name: s.config["cleanup.policy"] for s in specs}["wallet"] == "compact"
    assert len(specs) == 8
    public = topic_specs(catalog, include_internal=False, replication_factor=3)
    assert [s.name for s in public] == list(EXPECTED)
    assert {s.replication_factor for s in public} == {3}


def test_json_shape(catalog: Catalog) -> None:
    data = catalog_to_dict(catalog)
    topic = data["topics"][1]
    assert {
        "name",
        "key",
        "value_schema",
        "producers",
        "consumers",
        "compatibility",
        "partitions",
        "cleanup_policy",
    } <= set(topic)
    assert topic["value_schema"] == {
        "name": "io.govern.exchange.Account",
        "file": "schemas/io.govern.exchange.Account.avsc",
    }
    assert data["services"][0] == {
        **data["services"][0],
        "name": "account",
        "produces": ["account"],
        "consumes": ["account-request"],
    }


def test_reader_schema_and_value_schema_assertion(tree: Path) -> None:
    readers = tree / "contracts" / "readers"
    readers.mkdir()
    shutil.copy(tree / "schemas" / "io.govern.exchange.Account.avsc", readers / "Account.v1.avsc")
    edit(
        tree / "contracts" / "wallet.yaml",
        "  - topic: account\n",
        "  - topic: account\n    reader_schema: contracts/readers/Account.v1.avsc\n",
    )
    edit(
        tree / "contracts" / "rate.yaml",
        "  - topic: exchange-rate\n",
        "  - topic: exchange-rate\n    value_schema: schemas/io.govern.exchange.ExchangeRate.avsc\n",
    )
    wallet = load_catalog(tree).service("wallet")
    reader = wallet.reader_schemas["account"]
    assert reader.name == "io.govern.exchange.Account"
    assert reader.file == Path("contracts/readers/Account.v1.avsc")
    assert reader.references == ("io.govern.exchange.Address",)


# --- broken trees ------------------------------------------------------------------------------


def test_unknown_topic_in_service(tree: Path) -> None:
    ui = tree / "contracts" / "ui.yaml"
    edit(ui, "  - topic: wallet", "  - topic: walet")
    error = fails(tree)
    assert_at(error, ui, line_of(ui, "topic: walet"))
    assert "unknown topic 'walet'" in error.message
    assert "wallet" in error.hint


def test_missing_schema_file(tree: Path) -> None:
    (tree / "schemas" / "io.govern.exchange.Wallet.avsc").unlink()
    topics = tree / "contracts" / "topics.yaml"
    error = fails(tree)
    assert_at(error, topics, line_of(topics, "io.govern.exchange.Wallet.avsc"))
    assert "not found" in error.message


def test_invalid_json_schema(tree: Path) -> None:
    path = tree / "schemas" / "io.govern.exchange.ExchangeRate.avsc"
    edit(path, '"doc": "Base currency code', '"doc" "Base currency code')
    error = fails(tree)
    assert_at(error, path, line_of(path, '"doc" "Base currency'))
    assert "invalid JSON" in error.message


def test_invalid_schema_is_located_by_govern_avro(tree: Path) -> None:
    """The catalog parses with govern.avro, strictly as a registry parses a new schema."""
    path = tree / "schemas" / "io.govern.exchange.ExchangeRate.avsc"
    edit(path, '"name": "base", "type": "string"', '"name": "base", "type": "string", "default": null')
    error = fails(tree)
    assert_at(error, path, line_of(path, '"default": null'))
    assert "invalid Avro schema at /fields/" in error.message and "Invalid default" in error.message


def test_schema_unknown_type_is_located(tree: Path) -> None:
    path = tree / "schemas" / "io.govern.exchange.Account.avsc"
    edit(path, '"io.govern.exchange.Address"', '"io.govern.exchange.Adress"')
    error = fails(tree)
    assert_at(error, path, line_of(path, "Adress"))
    assert "io.govern.exchange.Adress" in error.message


def test_file_names_do_not_matter_but_type_names_do(tree: Path) -> None:
    """Any file name is fine (issue 15); a type renamed under its users fails where it is used."""
    (tree / "schemas" / "io.govern.exchange.Address.avsc").rename(tree / "schemas" / "address-v2.avsc")
    assert load_catalog(tree).schemas["io.govern.exchange.Address"].file == Path("schemas/address-v2.avsc")
    edit(tree / "schemas" / "address-v2.avsc", '"name": "Address"', '"name": "PostalAddress"')
    error = fails(tree)
    file, line = re.match(r"(.+?\.avsc):(\d+):\d+: ", error.message).groups()  # type: ignore[union-attr]
    assert '"io.govern.exchange.Address"' in Path(file).read_text().splitlines()[int(line) - 1]  # its user
    assert "unknown type 'io.govern.exchange.Address'" in error.message
    assert "PostalAddress" in error.hint


def test_topic_without_producer(tree: Path) -> None:
    rate = tree / "contracts" / "rate.yaml"
    edit(rate, "produces:\n  - topic: exchange-rate\n", "produces: []\n")
    topics = tree / "contracts" / "topics.yaml"
    error = fails(tree)
    assert_at(error, topics, line_of(topics, "exchange-rate:"))
    assert "no producer" in error.message


def test_producer_value_schema_differs(tree: Path) -> None:
    rate = tree / "contracts" / "rate.yaml"
    edit(
        rate,
        "  - topic: exchange-rate\n",
        "  - topic: exchange-rate\n    value_schema: schemas/io.govern.exchange.Wallet.avsc\n",
    )
    error = fails(tree)
    assert_at(error, rate, line_of(rate, "value_schema:"))
    assert "io.govern.exchange.ExchangeRate.avsc" in error.message


def test_duplicate_service(tree: Path) -> None:
    shutil.copy(tree / "contracts" / "rate.yaml", tree / "contracts" / "rate2.yaml")
    error = fails(tree)
    assert_at(error, tree / "contracts" / "rate2.yaml", 1)
    assert "duplicate service 'rate'" in error.message


@pytest.mark.parametrize(
    ("file", "old", "new", "needle", "words"),
    [
        (
            "topics.yaml",
            "    cleanup_policy: compact\n",
            "    cleanup_polcy: compact\n",
            "cleanup_polcy",
            "unknown key 'cleanup_polcy'",
        ),
        ("topics.yaml", "version: 1\n", "version: 1\nextra: 1\n", "extra:", "unknown key 'extra'"),
        ("topics.yaml", "  partitions: 3", "  partitons: 3", "partitons", "unknown key 'partitons'"),
        (
            "wallet.yaml",
            "service: wallet",
            "service: wallet\nproduce: []",
            "produce:",
            "unknown key 'produce'",
        ),
        (
            "wallet.yaml",
            "  - topic: account\n",
            "  - topic: account\n    reader: x\n",
            "reader:",
            "unknown key 'reader'",
        ),
        (
            "topics.yaml",
            "  compatibility: BACKWARD",
            "  compatibility: BACKWARDS",
            "BACKWARDS",
            "invalid compatibility level 'BACKWARDS'",
        ),
        (
            "topics.yaml",
            "    cleanup_policy: compact\n",
            "    cleanup_policy: compacted\n",
            "compacted",
            "invalid cleanup policy 'compacted'",
        ),
        ("topics.yaml", "  partitions: 3", "  partitions: 0", "partitions: 0", "partitions must be"),
        (
            "topics.yaml",
            "    key: BASE-QUOTE\n",
            "    key: BASE-QUOTE\n    partitions: many\n",
            "many",
            "partitions must be",
        ),
        (
            "topics.yaml",
            "    key: BASE-QUOTE\n",
            "    key: BASE-QUOTE\n    partitions: true\n",
            "partitions: true",
            "partitions must be",
        ),
        (
            "topics.yaml",
            "    key: BASE-QUOTE\n",
            "    key: BASE-QUOTE\n    key: pair\n",
            "key: pair",
            "duplicate key 'key'",
        ),
        ("topics.yaml", "    internal: true", "    internal: yes please", "internal:", "internal must be"),
        (
            "ui.yaml",
            "  - topic: wallet\n",
            "  - topic: wallet\n  - topic: wallet\n",
            "topic: wallet",
            "listed twice",
        ),
        ("topics.yaml", "  wallet:\n", "  wal let:\n", "wal let", "invalid topic name"),
        (
            "topics.yaml",
            "version: 1\n",
            "version: 1\nreference_subjects:\n  io.govern.exchange.Adress: shared-address\n",
            "Adress",
            "'io.govern.exchange.Adress' is not a named type of schemas/",
        ),
        (
            "topics.yaml",
            "version: 1\n",
            "version: 1\nreference_subjects:\n  io.govern.exchange.Address: [a]\n",
            "Address:",
            "the subject of 'io.govern.exchange.Address' must be a subject name",
        ),
        (
            "topics.yaml",
            "version: 1\n",
            "version: 1\nreference_subjects:\n  io.govern.exchange.Address: s\n"
            "  io.govern.exchange.TransactionType: s\n",
            "TransactionType:",
            "both name subject 's'",
        ),
        (
            "topics.yaml",
            "version: 1\n",
            "version: 1\nreference_subjects:\n  io.govern.exchange.Address: wallet-value\n",
            "wallet-value",
            "'wallet-value' is a topic's subject",
        ),
    ],
)
def test_bad_contract_values(tree: Path, file: str, old: str, new: str, needle: str, words: str) -> None:
    path = tree / "contracts" / file
    edit(path, old, new)
    error = fails(tree)
    occurrence = 2 if "listed twice" in words or "duplicate key" in words and needle == "key:" else 1
    assert_at(error, path, line_of(path, needle, occurrence))
    assert words in error.message


def test_typo_hint_suggests_the_key(tree: Path) -> None:
    edit(tree / "contracts" / "topics.yaml", "  partitions: 3", "  partitons: 3")
    assert "partitions" in fails(tree).hint


def test_yaml_syntax_error(tree: Path) -> None:
    ui = tree / "contracts" / "ui.yaml"
    edit(ui, "  - topic: wallet", "  - topic: [wallet")
    error = fails(tree)
    assert re.search(rf"{re.escape(str(ui))}:\d+:\d+: invalid YAML", error.message), error.message


def test_missing_topics_file(tree: Path) -> None:
    (tree / "contracts" / "topics.yaml").unlink()
    assert "topics.yaml: file not found" in fails(tree).message


def test_missing_contracts_dir(tmp_path: Path) -> None:
    assert "contracts directory not found" in fails(tmp_path).message


def test_missing_reader_schema(tree: Path) -> None:
    wallet = tree / "contracts" / "wallet.yaml"
    edit(
        wallet, "  - topic: account\n", "  - topic: account\n    reader_schema: contracts/readers/nope.avsc\n"
    )
    error = fails(tree)
    assert_at(error, wallet, line_of(wallet, "reader_schema"))


def test_missing_schemas_dir(tree: Path) -> None:
    shutil.rmtree(tree / "schemas")
    assert "schema directory not found" in fails(tree).message


def test_circular_reference_across_files(tree: Path) -> None:
    address = tree / "schemas" / "io.govern.exchange.Address.avsc"
    edit(
        address,
        '{"name": "country", "type": "string"',
        '{"name": "owner", "type": ["null", "io.govern.exchange.Account"], "default": null, "doc": "x"},\n'
        '    {"name": "country", "type": "string"',
    )
    error = fails(tree)
    assert "circular reference" in error.message


def test_cleanup_policy_list_is_normalised(tree: Path) -> None:
    edit(
        tree / "contracts" / "topics.yaml",
        "    cleanup_policy: compact\n",
        "    cleanup_policy: delete, compact\n",
    )
    assert load_catalog(tree).topic("account").cleanup_policy == "compact,delete"


def test_reference_subjects_name_the_subject_a_shared_type_is_registered_under(tree: Path) -> None:
    edit(
        tree / "contracts" / "topics.yaml",
        "version: 1\n",
        "version: 1\nreference_subjects:\n  io.govern.exchange.Address: shared-address\n",
    )
    loaded = load_catalog(tree)
    assert loaded.reference_subject("io.govern.exchange.Address") == "shared-address"
    assert loaded.reference_subject("io.govern.exchange.Wallet") == "io.govern.exchange.Wallet"
    assert catalog_to_dict(loaded)["reference_subjects"] == {"io.govern.exchange.Address": "shared-address"}
