-- Tessera schema, version 8: partition maps, published per subscription, and their hand-offs.
--
-- A map (TesseraGrids' PartitionMap, in its stored form) says which partition each position of a
-- grid's curve routes to; every publication is a new epoch, one more than the last. The hand-offs
-- of an epoch are the pairs of partitions between which positions changed hands from the epoch
-- before: the receiving partition's deliveries of that epoch wait until the giver has delivered
-- what it routed before (TesseraGrids' PartitionHandoff). TesseraCatalog's PartitionMapStore is
-- the one owner of both tables.
-- Every statement is idempotent.

CREATE TABLE IF NOT EXISTS tessera.partition_maps (
    subscription_id uuid NOT NULL REFERENCES tessera.subscriptions (id) ON DELETE CASCADE,
    epoch           bigint NOT NULL CHECK (epoch >= 1),
    partitions      int NOT NULL CHECK (partitions BETWEEN 1 AND 4096),
    map             bytea NOT NULL,    -- PartitionMap.encoded()
    loads           float8[],          -- per partition, the load the balancer saw; NULL: none
    published_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, epoch),
    CONSTRAINT partition_maps_loads_per_partition CHECK (loads IS NULL OR cardinality(loads) = partitions)
);

CREATE TABLE IF NOT EXISTS tessera.partition_handoffs (
    subscription_id uuid NOT NULL REFERENCES tessera.subscriptions (id) ON DELETE CASCADE,
    epoch           bigint NOT NULL,
    from_partition  int NOT NULL,
    to_partition    int NOT NULL,
    PRIMARY KEY (subscription_id, epoch, from_partition, to_partition),
    CONSTRAINT partition_handoffs_pair CHECK (from_partition >= 0 AND to_partition >= 0
                                              AND from_partition <> to_partition)
);

INSERT INTO tessera.migrations (version, name) VALUES (8, 'partition_maps') ON CONFLICT DO NOTHING;
