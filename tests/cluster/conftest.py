"""One loopback cluster (3 replicas behind HAProxy) for the cluster tests, stopped after them.

Every test leaves all replicas running and seen UP by the balancer (`healthy_cluster`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cluster.scenarios import CLUSTER_ENV, REPLICAS, cluster_test_config
from tests.fixtures.cluster import LoopbackCluster


@pytest.fixture(scope="package")
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
