"""One loopback cluster (3 replicas behind HAProxy) for the cluster tests of a session.

Short lease, reap and grace settings keep the tests fast while exercising the same code paths
as the production defaults (20 s lease, 10 s reap, 20 s grace). Every test leaves all replicas
running and seen UP by the balancer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.cluster import RELAXED_RATE_LIMITS, LoopbackCluster, cluster_config

REPLICAS = 3
LEASE_SECONDS = 3.0
REAP_SECONDS = 0.5
GRACE_SECONDS = 3.0
USER_DAILY_USD = "0.5"
# $0.001 an output token, $0.0001 an input token: one 25-token reply costs about $0.027.
METERED_PRICE = {"input_per_mtok": 100, "output_per_mtok": 1000}
CLUSTER_ENV = {
    "LOCKGATE_REPLY_LEASE_SECONDS": str(LEASE_SECONDS),
    "LOCKGATE_REPLY_REAP_SECONDS": str(REAP_SECONDS),
    "LOCKGATE_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
}


def cluster_test_config() -> dict[str, Any]:
    config = cluster_config(
        gate={
            "rate_limits": RELAXED_RATE_LIMITS,
            "budgets": {"users": {"daily_usd": USER_DAILY_USD}},
        }
    )
    models = dict(config["models"])
    models["metered"] = {
        "provider": "simulated",
        "context_window": 8192,
        "max_output_tokens": 2048,
        "price": METERED_PRICE,
    }
    config["models"] = models
    return config


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    workdir = tmp_path_factory.mktemp("cluster")
    with LoopbackCluster(
        workdir, replicas=REPLICAS, config=cluster_test_config(), env=CLUSTER_ENV
    ) as running:
        yield running


@pytest.fixture
def healthy_cluster(cluster: LoopbackCluster) -> Iterator[LoopbackCluster]:
    """The cluster, with every replica running before and after the test."""
    yield cluster
    for index, replica in enumerate(cluster.replicas):
        if not replica.is_running:
            cluster.start_replica(index)
