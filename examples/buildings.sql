-- The example table that scripts/run watches: a few buildings in Berlin Mitte.
CREATE TABLE IF NOT EXISTS public.buildings (
    id   bigserial PRIMARY KEY,
    kind text NOT NULL DEFAULT 'building',
    name text,
    note text,
    geom geometry(Polygon, 4326) NOT NULL
);
INSERT INTO public.buildings (kind, name, geom)
SELECT 'building', 'example ' || i,
       ST_MakeEnvelope(13.38 + (i % 10) * 0.002, 52.51 + (i / 10) * 0.002,
                       13.38 + (i % 10) * 0.002 + 0.0005, 52.51 + (i / 10) * 0.002 + 0.0004, 4326)
FROM generate_series(0, 49) AS i
WHERE NOT EXISTS (SELECT FROM public.buildings);
