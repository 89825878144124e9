-- Hisab hub schema. Idempotent: `hisab-hub migrate` runs it on every start.
-- Past one machine, `events` and `invoice_versions` become PARTITION BY LIST (tenant) then
-- RANGE (received month); see hub/README.md. Keys below already lead with device_id for that.

CREATE TABLE IF NOT EXISTS hub_meta (key text PRIMARY KEY, value text NOT NULL);

CREATE TABLE IF NOT EXISTS devices (
    device_id    text PRIMARY KEY,
    acked_seq    bigint NOT NULL DEFAULT 0,      -- highest contiguous seq stored
    state        text NOT NULL DEFAULT 'unknown', -- online | offline | stopped
    status_at    timestamptz NOT NULL DEFAULT now(),
    version      text,
    last_seen    timestamptz,
    backlog      bigint,
    disk_percent real,
    cpu_temp     real,
    telemetry    jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- ranges (after_seq, upto_seq] a batch covered that are not yet contiguous with acked_seq
CREATE TABLE IF NOT EXISTS device_ranges (
    device_id text NOT NULL,
    after_seq bigint NOT NULL,
    upto_seq  bigint NOT NULL,
    PRIMARY KEY (device_id, after_seq, upto_seq)
);

CREATE TABLE IF NOT EXISTS events (
    device_id   text NOT NULL,
    seq         bigint NOT NULL,
    id          text NOT NULL,
    hlc         text NOT NULL,
    type        text NOT NULL,
    invoice_id  text,
    actor       text NOT NULL,
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, seq)
);
CREATE INDEX IF NOT EXISTS events_id ON events (device_id, id);

CREATE TABLE IF NOT EXISTS invoices (
    device_id   text NOT NULL,
    invoice_id  text NOT NULL,
    status      text NOT NULL DEFAULT 'received',
    fields      jsonb NOT NULL DEFAULT '{}',
    field_hlc   jsonb NOT NULL DEFAULT '{}',   -- per field: HLC of the write that won
    held        jsonb NOT NULL DEFAULT '{}',   -- fields waiting on an open conflict
    suggestions jsonb NOT NULL DEFAULT '[]',
    version     integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, invoice_id)
);

-- who (actor) changed what (changes), where (origin: the box or the hub), when (hlc, at)
CREATE TABLE IF NOT EXISTS invoice_versions (
    device_id  text NOT NULL,
    invoice_id text NOT NULL,
    version    integer NOT NULL,
    event_id   text NOT NULL,
    type       text NOT NULL,
    actor      text NOT NULL,
    origin     text NOT NULL,
    hlc        text NOT NULL,
    changes    jsonb NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, invoice_id, version)
);

CREATE TABLE IF NOT EXISTS conflicts (
    id          bigserial PRIMARY KEY,
    device_id   text NOT NULL,
    invoice_id  text NOT NULL,
    reason      text NOT NULL,
    box_event   text NOT NULL,
    hub_event   text NOT NULL,
    box_fields  jsonb NOT NULL,
    hub_fields  jsonb NOT NULL,
    box_actor   text NOT NULL,
    hub_actor   text NOT NULL,
    status      text NOT NULL DEFAULT 'open',    -- open | resolved
    resolution  jsonb,
    resolved_by text,
    resolved_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS conflicts_open ON conflicts (status, device_id);

-- events the hub sends down; applied_seq is the box seq at which the box echoed it back
CREATE TABLE IF NOT EXISTS downlink (
    device_id    text NOT NULL,
    id           text NOT NULL,
    n            bigserial,
    hlc          text NOT NULL,
    type         text NOT NULL,
    invoice_id   text,
    actor        text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    applied_seq  bigint,
    PRIMARY KEY (device_id, id)
);
CREATE INDEX IF NOT EXISTS downlink_pending ON downlink (device_id, n) WHERE applied_seq IS NULL;

CREATE TABLE IF NOT EXISTS suppliers (
    bin        text PRIMARY KEY,
    name       text NOT NULL,
    address    text NOT NULL DEFAULT '',
    vat_rate   numeric,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS alerts (
    id          bigserial PRIMARY KEY,
    device_id   text NOT NULL,
    kind        text NOT NULL,                  -- offline | disk | backlog
    message     text NOT NULL,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    notified    boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_open ON alerts (device_id, kind) WHERE closed_at IS NULL;

CREATE TABLE IF NOT EXISTS notifications (
    id        bigserial PRIMARY KEY,
    device_id text NOT NULL,
    kind      text NOT NULL,
    message   text NOT NULL,
    channels  text NOT NULL,
    sent_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS hub_users (
    name          text PRIMARY KEY,
    role          text NOT NULL CHECK (role IN ('operator', 'admin')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS hub_tokens (
    token_sha256 text PRIMARY KEY,
    name         text NOT NULL REFERENCES hub_users(name) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- issue 10: originals, the second opinion, priority lane, reconciliation, health, uptime ----------

-- merged out of seq order by the priority or repair lane: the contiguous merge skips it
ALTER TABLE events ADD COLUMN IF NOT EXISTS early boolean NOT NULL DEFAULT false;

-- originals, content-addressed per box; `data` grows chunk by chunk, `have` bytes so far
CREATE TABLE IF NOT EXISTS blobs (
    device_id    text NOT NULL,
    sha256       text NOT NULL,
    size         bigint NOT NULL,
    content_type text,
    invoice_id   text,
    have         bigint NOT NULL DEFAULT 0,
    data         bytea NOT NULL DEFAULT '',
    complete     boolean NOT NULL DEFAULT false,
    corrupt      integer NOT NULL DEFAULT 0,     -- assemblies whose SHA-256 did not match (restarted)
    chunks       integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    PRIMARY KEY (device_id, sha256)
);

-- the hub's second opinion on a flagged invoice: one row per invoice and original
CREATE TABLE IF NOT EXISTS second_opinions (
    device_id   text NOT NULL,
    invoice_id  text NOT NULL,
    sha256      text NOT NULL,
    state       text NOT NULL DEFAULT 'pending',  -- pending | running | done | failed
    reasons     jsonb NOT NULL DEFAULT '[]',
    result      jsonb,
    suggested   jsonb NOT NULL DEFAULT '[]',
    error       text,
    seconds     real,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (device_id, invoice_id)
);
CREATE INDEX IF NOT EXISTS second_opinions_pending ON second_opinions (state, created_at);

CREATE TABLE IF NOT EXISTS reconciles (
    id          bigserial PRIMARY KEY,
    device_id   text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    upto        bigint NOT NULL,
    months      integer NOT NULL,
    differing   jsonb NOT NULL DEFAULT '[]',     -- months whose digests differed
    invoices    jsonb NOT NULL DEFAULT '[]',     -- invoices (or '-' for other events) repaired
    events      integer NOT NULL DEFAULT 0,      -- events re-sent and stored
    state       text NOT NULL DEFAULT 'checking' -- checking | repairing | in_sync | hub_has_extra
);
CREATE INDEX IF NOT EXISTS reconciles_device ON reconciles (device_id, id);

-- every status change (online, offline = last will, stopped), for monthly availability
CREATE TABLE IF NOT EXISTS device_states (
    device_id text NOT NULL,
    state     text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS device_states_at ON device_states (device_id, at);

ALTER TABLE devices ADD COLUMN IF NOT EXISTS health jsonb;

-- registration (POST /api/v1/devices) and the last update result each box reports --------------
ALTER TABLE devices ADD COLUMN IF NOT EXISTS public_key text;       -- "ssh-ed25519 <base64>"
ALTER TABLE devices ADD COLUMN IF NOT EXISTS key_comment text;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS registered_at timestamptz;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS registered_by text;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS credentials_at timestamptz; -- last password issued (never stored)
ALTER TABLE devices ADD COLUMN IF NOT EXISTS last_update jsonb;      -- provisioning's update-result.json
