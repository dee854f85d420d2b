-- Cornershop schema: the one source of truth.
--
-- Applied to a fresh database on first start, then `PRAGMA user_version` is set to the
-- binary's schema version. Older databases are brought up by `migrations/NNN_*.sql`, and
-- every migration also changes this file, so a fresh shop and an upgraded one end up equal
-- (see migrations/README.md).
--
-- Conventions: times are TEXT in UTC, ISO 8601 with a trailing Z; money is INTEGER minor
-- units of the shop currency; booleans are INTEGER 0/1 with a CHECK.

-- ---------------------------------------------------------------------------------------
-- Settings: one row per key. Types, defaults and which keys are secret live in code
-- (src/settings/keys.rs); a missing row means "the default".
CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) WITHOUT ROWID;

CREATE TRIGGER settings_touch AFTER UPDATE OF value ON settings FOR EACH ROW
BEGIN
    UPDATE settings SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE key = NEW.key;
END;

-- ---------------------------------------------------------------------------------------
-- Staff access: back-office interfaces ("areas"), roles, and what each role may do in
-- each area. The server checks these in a request guard (src/staff/guard.rs).
CREATE TABLE areas (
    code      TEXT PRIMARY KEY,
    label     TEXT NOT NULL,
    position  INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO areas (code, label, position) VALUES
    ('dashboard', 'Dashboard', 1),
    ('products', 'Products', 2),
    ('categories', 'Categories', 3),
    ('orders', 'Orders', 4),
    ('deliveries', 'Deliveries', 5),
    ('customers', 'Customers', 6),
    ('staff', 'Staff', 7),
    ('roles', 'Roles', 8),
    ('promotions', 'Promotions', 9),
    ('vouchers', 'Vouchers', 10),
    ('target_groups', 'Target groups', 11),
    ('mail_templates', 'Mail templates', 12),
    ('outbox', 'Outbox', 13),
    ('reports', 'Reports', 14),
    ('audit', 'Audit log', 15),
    ('settings', 'Settings', 16),
    ('system', 'System', 17);

-- is_owner marks the role that always holds every right; it cannot be edited away.
CREATE TABLE roles (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 60),
    description  TEXT NOT NULL DEFAULT '',
    is_owner     INTEGER NOT NULL DEFAULT 0 CHECK (is_owner IN (0, 1)),
    -- Members of this role must use two-factor login (POLICY; staff::totp).
    require_totp INTEGER NOT NULL DEFAULT 0 CHECK (require_totp IN (0, 1)),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TRIGGER roles_touch AFTER UPDATE ON roles FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE roles SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = NEW.id;
END;

CREATE TABLE role_permissions (
    role_id     INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    area        TEXT NOT NULL REFERENCES areas (code),
    can_read    INTEGER NOT NULL DEFAULT 0 CHECK (can_read IN (0, 1)),
    can_create  INTEGER NOT NULL DEFAULT 0 CHECK (can_create IN (0, 1)),
    can_update  INTEGER NOT NULL DEFAULT 0 CHECK (can_update IN (0, 1)),
    can_delete  INTEGER NOT NULL DEFAULT 0 CHECK (can_delete IN (0, 1)),
    PRIMARY KEY (role_id, area)
) WITHOUT ROWID;

INSERT INTO roles (id, name, description, is_owner) VALUES
    (1, 'Owner', 'Everything, always.', 1),
    (2, 'Manager', 'Runs the shop day to day; cannot change staff, roles or system settings.', 0),
    (3, 'Viewer', 'Reads everything, changes nothing.', 0),
    (4, 'Courier', 'Sees and completes the deliveries assigned to them.', 0);

INSERT INTO role_permissions (role_id, area, can_read, can_create, can_update, can_delete)
SELECT 1, code, 1, 1, 1, 1 FROM areas;

INSERT INTO role_permissions (role_id, area, can_read, can_create, can_update, can_delete)
SELECT 2, code, 1,
       code NOT IN ('staff', 'roles', 'settings', 'system', 'audit'),
       code NOT IN ('staff', 'roles', 'settings', 'system', 'audit'),
       code NOT IN ('staff', 'roles', 'settings', 'system', 'audit', 'orders', 'customers')
FROM areas;

INSERT INTO role_permissions (role_id, area, can_read) SELECT 3, code, 1 FROM areas;

INSERT INTO role_permissions (role_id, area, can_read, can_update) VALUES
    (4, 'dashboard', 1, 0),
    (4, 'deliveries', 1, 1);

-- The Owner role keeps every right: no update may take one away.
CREATE TRIGGER owner_role_keeps_rights BEFORE UPDATE ON role_permissions FOR EACH ROW
WHEN (SELECT is_owner FROM roles WHERE id = OLD.role_id) = 1
 AND (NEW.can_read = 0 OR NEW.can_create = 0 OR NEW.can_update = 0 OR NEW.can_delete = 0)
BEGIN
    SELECT RAISE(ABORT, 'The Owner role cannot lose its rights');
END;

-- Nor can its rights rows go, the role itself be deleted, or stop being the Owner role.
CREATE TRIGGER owner_role_keeps_rights_rows BEFORE DELETE ON role_permissions FOR EACH ROW
WHEN (SELECT is_owner FROM roles WHERE id = OLD.role_id) = 1
BEGIN
    SELECT RAISE(ABORT, 'The Owner role cannot lose its rights');
END;

CREATE TRIGGER owner_role_stays BEFORE DELETE ON roles FOR EACH ROW
WHEN OLD.is_owner = 1
BEGIN
    SELECT RAISE(ABORT, 'The Owner role cannot be deleted');
END;

CREATE TRIGGER owner_role_stays_owner BEFORE UPDATE OF is_owner ON roles FOR EACH ROW
WHEN OLD.is_owner = 1 AND NEW.is_owner = 0
BEGIN
    SELECT RAISE(ABORT, 'The Owner role cannot lose its rights');
END;

-- A role is deleted only when nobody holds it (the page says how many do).
CREATE TRIGGER role_delete_only_unused BEFORE DELETE ON roles FOR EACH ROW
WHEN OLD.is_owner = 0 AND EXISTS (SELECT 1 FROM staff WHERE role_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'This role is still held by staff members; give them another role first');
END;

CREATE TABLE staff (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(email) BETWEEN 3 AND 254),
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    password_hash  TEXT NOT NULL,
    role_id        INTEGER NOT NULL REFERENCES roles (id),
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    last_login_at  TEXT,
    -- Two-factor login (staff::totp): the secret sealed with secret.key; enabled once a code
    -- confirmed it; the last 30-second step used, so one code never works twice.
    totp_secret      TEXT NOT NULL DEFAULT '',
    totp_pending     TEXT NOT NULL DEFAULT '',
    totp_enabled_at  TEXT,
    totp_last_step   INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- The shop always keeps one active member with an Owner role: the last one can be neither
-- deactivated, moved to another role, nor deleted.
CREATE TRIGGER staff_keeps_an_owner BEFORE UPDATE OF active, role_id ON staff FOR EACH ROW
WHEN OLD.active = 1
 AND (SELECT is_owner FROM roles WHERE id = OLD.role_id) = 1
 AND (NEW.active = 0 OR (SELECT is_owner FROM roles WHERE id = NEW.role_id) = 0)
 AND NOT EXISTS (SELECT 1 FROM staff s JOIN roles r ON r.id = s.role_id
                 WHERE s.active = 1 AND r.is_owner = 1 AND s.id <> OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'The last active owner can be neither deactivated nor given a non-owner role; make someone else an owner first');
END;

CREATE TRIGGER staff_keeps_an_owner_on_delete BEFORE DELETE ON staff FOR EACH ROW
WHEN OLD.active = 1
 AND (SELECT is_owner FROM roles WHERE id = OLD.role_id) = 1
 AND NOT EXISTS (SELECT 1 FROM staff s JOIN roles r ON r.id = s.role_id
                 WHERE s.active = 1 AND r.is_owner = 1 AND s.id <> OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'The last active owner can be neither deactivated nor given a non-owner role; make someone else an owner first');
END;

-- One-time set-password links for staff (invitation, reset by an owner): only the SHA-256
-- is stored; a link works once, until expires_at.
CREATE TABLE staff_tokens (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX staff_tokens_staff ON staff_tokens (staff_id);

-- Two-factor recovery codes: shown once, stored hashed, each used once.
CREATE TABLE staff_recovery_codes (
    id         INTEGER PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX staff_recovery_codes_staff ON staff_recovery_codes (staff_id);

-- A password checked, the two-factor code still to come (5 minutes; only the hash of the
-- browser's cookie token is stored). No session exists before the code is right.
CREATE TABLE staff_login_challenges (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    staff_id    INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    next        TEXT NOT NULL DEFAULT '/admin',
    attempts    INTEGER NOT NULL DEFAULT 0,
    expires_at  TEXT NOT NULL
);

CREATE TRIGGER staff_touch AFTER UPDATE ON staff FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE staff SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = NEW.id;
END;

-- ---------------------------------------------------------------------------------------
-- Web sessions for staff and customers. Only a SHA-256 of the cookie token is stored, so a
-- copy of the database cannot be used to log in. `expires_at` slides on use; a session
-- never outlives `absolute_expires_at`.
CREATE TABLE sessions (
    id                   INTEGER PRIMARY KEY,
    token_hash           TEXT NOT NULL UNIQUE,
    kind                 TEXT NOT NULL CHECK (kind IN ('staff', 'customer')),
    user_id              INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    last_seen_at         TEXT NOT NULL,
    expires_at           TEXT NOT NULL,
    absolute_expires_at  TEXT NOT NULL,
    ip                   TEXT NOT NULL DEFAULT '',
    user_agent           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (kind, user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- ---------------------------------------------------------------------------------------
-- Audit log: who did what, from where. Written in the same transaction as the change it
-- describes; events without a transaction (404s, refused logins) are batched by a writer
-- task. `outcome` separates errors (refusals, failures) from events.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    subsystem    TEXT NOT NULL,
    action       TEXT NOT NULL,
    outcome      TEXT NOT NULL DEFAULT 'event' CHECK (outcome IN ('event', 'error')),
    actor_kind   TEXT NOT NULL CHECK (actor_kind IN ('anonymous', 'staff', 'customer', 'system', 'cli')),
    actor_id     INTEGER,
    actor_label  TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    entity_type  TEXT NOT NULL DEFAULT '',
    entity_id    TEXT NOT NULL DEFAULT '',
    details      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);

-- The log is append-only: history cannot be rewritten, only aged out by the retention job
-- (which deletes old rows, never updates them).
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'The audit log cannot be changed');
END;

-- Only aged out: an entry younger than the retention (setting audit.retention_days, 365 days
-- when unset) cannot be deleted, so the retention job is the one way rows leave the log.
CREATE TRIGGER audit_log_kept BEFORE DELETE ON audit_log
WHEN julianday(old.at) > julianday('now') - coalesce(
    nullif((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'audit.retention_days'), 0), 365)
BEGIN
    SELECT RAISE(ABORT, 'Audit log entries younger than the retention period (audit.retention_days) cannot be deleted');
END;

-- ---------------------------------------------------------------------------------------
-- Catalogue. Categories form a tree (parent_id); a category page includes its descendants.
CREATE TABLE categories (
    id           INTEGER PRIMARY KEY,
    parent_id    INTEGER REFERENCES categories (id) ON DELETE RESTRICT,
    slug         TEXT NOT NULL UNIQUE CHECK (slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*'),
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description  TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX categories_parent ON categories (parent_id, position);

CREATE TRIGGER categories_touch AFTER UPDATE ON categories FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE categories SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = NEW.id;
END;

-- A category may not be moved under itself or one of its descendants.
CREATE TRIGGER categories_no_cycle BEFORE UPDATE OF parent_id ON categories FOR EACH ROW
WHEN NEW.parent_id IS NOT NULL AND NEW.parent_id IN (
    WITH RECURSIVE sub(id) AS (
        SELECT NEW.id
        UNION ALL
        SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id
    )
    SELECT id FROM sub
)
BEGIN
    SELECT RAISE(ABORT, 'A category cannot be moved under itself or one of its subcategories');
END;

-- Products. Only `active` products are ever shown in the shop; `draft` ones are being
-- prepared and `archived` ones are kept for old orders. Stock can never go below zero.
-- sold_count feeds "best-selling" and is kept by the order lines' trigger.
CREATE TABLE products (
    id                   INTEGER PRIMARY KEY,
    slug                 TEXT NOT NULL UNIQUE CHECK (slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*'),
    sku                  TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(sku) BETWEEN 1 AND 64),
    name                 TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description          TEXT NOT NULL DEFAULT '',
    price                INTEGER NOT NULL CHECK (price >= 0),
    compare_at_price     INTEGER CHECK (compare_at_price IS NULL OR compare_at_price >= 0),
    stock                INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    low_stock_threshold  INTEGER NOT NULL DEFAULT 5 CHECK (low_stock_threshold >= 0),
    category_id          INTEGER REFERENCES categories (id) ON DELETE RESTRICT,
    status               TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
    sold_count           INTEGER NOT NULL DEFAULT 0 CHECK (sold_count >= 0),
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
-- One index per sort order of the shop, in exactly the order of its ORDER BY (ending in
-- the id), so a page is read off the index without sorting; each also carries price and
-- stock, so the shop's filters are checked inside the index and only the rows shown are
-- read from the table. products_category also serves the counts, index-only.
-- (src/catalog/store.rs tests that no sort needs a temporary B-tree.) products_price also
-- carries the category, so a price sort under promotions (which reads every match's
-- price and category to price it in Rust) is answered from the index alone.
CREATE INDEX products_category ON products (status, category_id, price, stock);
CREATE INDEX products_newest ON products (status, created_at DESC, id DESC, price, stock);
CREATE INDEX products_price ON products (status, price, id, stock, category_id);
CREATE INDEX products_name ON products (status, name COLLATE NOCASE, id, price, stock);
CREATE INDEX products_best ON products (status, sold_count DESC, id, price, stock);

CREATE TRIGGER products_touch AFTER UPDATE ON products FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE products SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = NEW.id;
END;

-- Full-text search over name, description and SKU; an external-content FTS5 table kept in
-- step with `products` by the three triggers below, so no code path can forget it.
CREATE VIRTUAL TABLE products_fts USING fts5 (
    name, description, sku,
    content = 'products', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER products_fts_insert AFTER INSERT ON products
BEGIN
    INSERT INTO products_fts (rowid, name, description, sku)
    VALUES (NEW.id, NEW.name, NEW.description, NEW.sku);
END;

CREATE TRIGGER products_fts_delete AFTER DELETE ON products
BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, description, sku)
    VALUES ('delete', OLD.id, OLD.name, OLD.description, OLD.sku);
END;

CREATE TRIGGER products_fts_update AFTER UPDATE OF name, description, sku ON products
BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, description, sku)
    VALUES ('delete', OLD.id, OLD.name, OLD.description, OLD.sku);
    INSERT INTO products_fts (rowid, name, description, sku)
    VALUES (NEW.id, NEW.name, NEW.description, NEW.sku);
END;

-- Product images. Files live under the data dir's media/ with names the shop generates;
-- the row keeps the path and a status (pending -> ready, or failed with the reason).
CREATE TABLE product_images (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    path        TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    position    INTEGER NOT NULL DEFAULT 0,
    width       INTEGER NOT NULL DEFAULT 0,
    height      INTEGER NOT NULL DEFAULT 0,
    alt         TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    -- The thumbnail's path under media/ ('' when there is none, as for demo pictures:
    -- pages then show the full image).
    thumb       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX product_images_product ON product_images (product_id, status, position);

-- POLICY "Uploads": at most 20 images per product (failed uploads do not count; the
-- clean-up job deletes them).
CREATE TRIGGER product_images_max BEFORE INSERT ON product_images FOR EACH ROW
WHEN NEW.status <> 'failed' AND (SELECT count(*) FROM product_images
    WHERE product_id = NEW.product_id AND status <> 'failed') >= 20
BEGIN
    SELECT RAISE(ABORT, 'A product can have at most 20 images; delete one first');
END;

-- A counter bumped by every change to the catalogue, so caches (the category tree with its
-- product counts, rendered pages with prices and stock) can tell in one cheap read whether
-- they are stale, whoever made the change: this server, an order, the command line, or a
-- restore.
CREATE TABLE catalog_revision (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    rev  INTEGER NOT NULL
);
INSERT INTO catalog_revision (id, rev) VALUES (1, 1);

CREATE TRIGGER catalog_rev_products_ins AFTER INSERT ON products
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_products_upd AFTER UPDATE OF status, category_id, name, slug, price, compare_at_price, stock, low_stock_threshold ON products
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_products_del AFTER DELETE ON products
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_categories_ins AFTER INSERT ON categories
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_categories_upd AFTER UPDATE ON categories
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_categories_del AFTER DELETE ON categories
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
-- Images show on cards and product pages: an upload becoming ready, a new order or main
-- image, a deletion all change what the shop shows.
CREATE TRIGGER catalog_rev_images_ins AFTER INSERT ON product_images
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_images_upd AFTER UPDATE ON product_images
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_images_del AFTER DELETE ON product_images
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;

-- ---------------------------------------------------------------------------------------
-- Mail queue (DESIGN §6). Every mail the shop sends is first a row here, written in the
-- transaction of the change that causes it, so a mail exists exactly when its change does.
-- A job sends due rows: queued -> sent, or back to queued with a later next_attempt_at,
-- or failed after the last attempt. A row is marked sent only after the transport took
-- it, so a crash mid-send means the mail goes out again (at least once), never lost.
-- Header fields cannot hold line breaks (header injection), checked here as well.
-- Campaign mail (schema 6) is at_most_once: the sender claims the row (claimed_by, the
-- sending process) before the transport gets it, so a stop mid-send never sends it twice;
-- unsubscribe_url feeds the List-Unsubscribe header.
CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY,
    template         TEXT NOT NULL DEFAULT '',
    to_address       TEXT NOT NULL CHECK (length(to_address) BETWEEN 3 AND 254
                                          AND instr(to_address, char(10)) = 0 AND instr(to_address, char(13)) = 0),
    to_name          TEXT NOT NULL DEFAULT '' CHECK (length(to_name) <= 200
                                          AND instr(to_name, char(10)) = 0 AND instr(to_name, char(13)) = 0),
    subject          TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 300
                                          AND instr(subject, char(10)) = 0 AND instr(subject, char(13)) = 0),
    text_body        TEXT NOT NULL,
    html_body        TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT NOT NULL DEFAULT '',
    eml_path         TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    sent_at          TEXT,
    -- The order a mail is about (set where order mails are queued), so an order's page
    -- lists the mails it caused. No foreign key: the outbox is created before orders.
    order_id         INTEGER
, at_most_once INTEGER NOT NULL DEFAULT 0 CHECK (at_most_once IN (0, 1)), claimed_by TEXT, unsubscribe_url TEXT NOT NULL DEFAULT '')
;
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_order ON mail_outbox (order_id) WHERE order_id IS NOT NULL;

-- A sent mail stays sent: nothing may pretend it still has to go out.
CREATE TRIGGER mail_outbox_sent_is_final BEFORE UPDATE OF status ON mail_outbox FOR EACH ROW
WHEN OLD.status = 'sent' AND NEW.status <> 'sent'
BEGIN
    SELECT RAISE(ABORT, 'A sent mail cannot be sent again; queue a new one instead');
END;

-- ---------------------------------------------------------------------------------------
-- Background jobs (DESIGN §7): one row per run, shown in the back office. Only the latest
-- runs of each job are kept (the runner prunes), since some jobs run every few seconds.
CREATE TABLE job_runs (
    id           INTEGER PRIMARY KEY,
    job          TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
    summary      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job ON job_runs (job, id DESC);

-- ---------------------------------------------------------------------------------------
-- Customers (DESIGN §5): their own table and login, apart from staff. A deleted account is
-- anonymised in place (deleted_at set, personal fields erased) so its orders keep a buyer.
-- Failed logins count within a window; enough of them lock the login (POLICY) until
-- locked_until or a password reset. marketing_opt_out_at (schema 6): when the customer
-- said no to marketing mail; NULL: they get it.
CREATE TABLE customers (
    id                INTEGER PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(email) BETWEEN 3 AND 254),
    password_hash     TEXT NOT NULL,
    first_name        TEXT NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name         TEXT NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    phone_country     TEXT NOT NULL DEFAULT '' CHECK (length(phone_country) <= 2),
    phone             TEXT NOT NULL DEFAULT '' CHECK (length(phone) <= 20),
    birth_date        TEXT CHECK (birth_date IS NULL OR birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    verified_at       TEXT,
    active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    failed_logins     INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    failed_since      TEXT,
    locked_until      TEXT,
    last_login_at     TEXT,
    deleted_at        TEXT,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
, marketing_opt_out_at TEXT)
;

CREATE TRIGGER customers_touch AFTER UPDATE ON customers FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE customers SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = NEW.id;
END;

-- The address book; at most one default address per customer (partial unique index).
CREATE TABLE customer_addresses (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    line1        TEXT NOT NULL CHECK (length(line1) BETWEEN 1 AND 200),
    line2        TEXT NOT NULL DEFAULT '' CHECK (length(line2) <= 200),
    city         TEXT NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
    postcode     TEXT NOT NULL CHECK (length(postcode) BETWEEN 1 AND 20),
    country      TEXT NOT NULL CHECK (length(country) = 2),
    is_default   INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX customer_addresses_customer ON customer_addresses (customer_id, id);
CREATE UNIQUE INDEX customer_addresses_one_default ON customer_addresses (customer_id) WHERE is_default = 1;

-- One-time links sent by mail: verify an address, reset a password, confirm a new email.
-- Only the SHA-256 of the token is stored; used_at makes a link work once.
CREATE TABLE customer_tokens (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'email_change')),
    token_hash   TEXT NOT NULL UNIQUE,
    new_email    TEXT NOT NULL DEFAULT '' CHECK (length(new_email) <= 254),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
);
CREATE INDEX customer_tokens_customer ON customer_tokens (customer_id, purpose);

-- API bearer tokens (DESIGN §5): hashed, 7 days, revocable. `kind` leaves room for staff.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('customer', 'staff')),
    user_id       INTEGER NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (kind, user_id);

-- ---------------------------------------------------------------------------------------
-- Mail templates (DESIGN §6): Tera sources per mail, seeded from templates/mail/ at start
-- (missing ones only, so the owner's edits stay), edited in the back office.
CREATE TABLE mail_templates (
    name        TEXT PRIMARY KEY,
    subject     TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    html        TEXT NOT NULL,
    text        TEXT NOT NULL CHECK (length(text) >= 1),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by  TEXT NOT NULL DEFAULT 'seed'
) WITHOUT ROWID;

-- ---------------------------------------------------------------------------------------
-- Carts (issue: cart, checkout, orders). A guest's cart belongs to a random token in a
-- cookie (only its hash is stored) and lives 7 days; a customer's cart follows the
-- customer across devices. POLICY: 1-999 per line, at most 100 lines. Prices are never
-- stored here: a cart is priced afresh every time it is shown or checked out.
CREATE TABLE carts (
    id                INTEGER PRIMARY KEY,
    customer_id       INTEGER UNIQUE REFERENCES customers (id) ON DELETE CASCADE,
    guest_token_hash  TEXT UNIQUE,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL, voucher_code TEXT NOT NULL DEFAULT '' CHECK (length(voucher_code) <= 64),
    CHECK ((customer_id IS NULL) <> (guest_token_hash IS NULL))
);
CREATE INDEX carts_updated ON carts (updated_at);

CREATE TABLE cart_items (
    cart_id     INTEGER NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    added_at    TEXT NOT NULL,
    PRIMARY KEY (cart_id, product_id)
) WITHOUT ROWID;

CREATE TRIGGER cart_items_limit BEFORE INSERT ON cart_items FOR EACH ROW
WHEN (SELECT count(*) FROM cart_items WHERE cart_id = NEW.cart_id) >= 100
BEGIN
    SELECT RAISE(ABORT, 'A cart holds at most 100 different products');
END;

-- ---------------------------------------------------------------------------------------
-- Orders (DESIGN §4). The status moves only along order_transitions: a trigger refuses
-- every other move, whoever makes it, raw SQL included; another writes each move to
-- order_status_history with the time and actor the change set on the row.
CREATE TABLE order_transitions (
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    PRIMARY KEY (from_status, to_status)
) WITHOUT ROWID;

INSERT INTO order_transitions (from_status, to_status) VALUES
    ('draft', 'pending_payment'),
    ('draft', 'cancelled'),
    ('pending_payment', 'paid'),
    ('pending_payment', 'processing'),
    ('pending_payment', 'cancelled'),
    ('paid', 'processing'),
    ('paid', 'cancelled'),
    ('paid', 'refunded'),
    ('processing', 'shipped'),
    ('processing', 'cancelled'),
    ('processing', 'refunded'),
    ('shipped', 'delivered'),
    ('shipped', 'refunded'),
    ('delivered', 'refunded');

CREATE TABLE orders (
    id                INTEGER PRIMARY KEY,
    number            TEXT NOT NULL UNIQUE,
    customer_id       INTEGER REFERENCES customers (id),
    email             TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    status            TEXT NOT NULL CHECK (status IN ('draft', 'pending_payment', 'paid', 'processing',
                                                      'shipped', 'delivered', 'cancelled', 'refunded')),
    currency          TEXT NOT NULL CHECK (length(currency) = 3),
    subtotal          INTEGER NOT NULL CHECK (subtotal >= 0),
    discount          INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0),
    shipping          INTEGER NOT NULL CHECK (shipping >= 0),
    total             INTEGER NOT NULL CHECK (total >= 0 AND total = subtotal - discount + shipping),
    shipping_method   TEXT NOT NULL,
    payment_method    TEXT NOT NULL CHECK (payment_method IN ('cod', 'bank_transfer', 'bobi', 'paypal')),
    ship_name         TEXT NOT NULL DEFAULT '',
    ship_line1        TEXT NOT NULL DEFAULT '',
    ship_line2        TEXT NOT NULL DEFAULT '',
    ship_city         TEXT NOT NULL DEFAULT '',
    ship_postcode     TEXT NOT NULL DEFAULT '',
    ship_country      TEXT NOT NULL DEFAULT '',
    tracking_number   TEXT NOT NULL DEFAULT '' CHECK (length(tracking_number) <= 100),
    -- The checkout's Idempotency-Key, scoped to its buyer, so a repeated confirm finds
    -- the order it already made instead of making another.
    idempotency_key   TEXT UNIQUE,
    -- Who makes the current change ('customer:7', 'staff:2', 'system'): read by the
    -- history trigger, set by every statement that changes the status.
    changed_by        TEXT NOT NULL DEFAULT 'system',
    -- The staff member delivering a shipped order (their role has deliveries update;
    -- checked by the trigger below).
    courier_id        INTEGER REFERENCES staff (id),
    -- The staff member who composed a draft order in the back office, if one did.
    created_by        INTEGER REFERENCES staff (id),
    placed_at         TEXT NOT NULL,
    updated_at        TEXT NOT NULL
, voucher_id INTEGER REFERENCES vouchers (id), voucher_code TEXT NOT NULL DEFAULT '', voucher_discount INTEGER NOT NULL DEFAULT 0 CHECK (voucher_discount >= 0 AND voucher_discount <= discount));
CREATE INDEX orders_customer ON orders (customer_id, id DESC);
CREATE INDEX orders_voucher ON orders (voucher_id) WHERE voucher_id IS NOT NULL;
CREATE INDEX orders_status ON orders (status, updated_at);
CREATE INDEX orders_placed ON orders (placed_at);
CREATE INDEX orders_courier ON orders (courier_id, status) WHERE courier_id IS NOT NULL;

-- Only a staff member whose role may update deliveries can be an order's courier.
CREATE TRIGGER orders_courier_can_deliver BEFORE UPDATE OF courier_id ON orders FOR EACH ROW
WHEN NEW.courier_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM staff s JOIN role_permissions p ON p.role_id = s.role_id
    WHERE s.id = NEW.courier_id AND s.active = 1 AND p.area = 'deliveries' AND p.can_update = 1)
BEGIN
    SELECT RAISE(ABORT, 'The courier must be an active staff member whose role may update deliveries');
END;

CREATE TABLE order_status_history (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, id);

CREATE TRIGGER orders_status_moves BEFORE UPDATE OF status ON orders FOR EACH ROW
WHEN NEW.status <> OLD.status AND NOT EXISTS (
    SELECT 1 FROM order_transitions WHERE from_status = OLD.status AND to_status = NEW.status)
BEGIN
    SELECT RAISE(ABORT, 'That status change is not allowed for this order');
END;

CREATE TRIGGER orders_status_history_insert AFTER INSERT ON orders FOR EACH ROW
BEGIN
    INSERT INTO order_status_history (order_id, from_status, to_status, at, actor)
    VALUES (NEW.id, NULL, NEW.status, NEW.placed_at, NEW.changed_by);
END;

CREATE TRIGGER orders_status_history_update AFTER UPDATE OF status ON orders FOR EACH ROW
WHEN NEW.status <> OLD.status
BEGIN
    INSERT INTO order_status_history (order_id, from_status, to_status, at, actor)
    VALUES (NEW.id, OLD.status, NEW.status, NEW.updated_at, NEW.changed_by);
END;

-- What was bought, at the price paid; name and SKU copied so the order reads the same
-- after the product changes or is archived.
-- promotion_id / promotion: the promotion the line was charged with, by id and by name
-- (written as SQLite writes columns added by a migration, so a fresh shop and an upgraded
-- one have the very same schema).
CREATE TABLE order_lines (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    name        TEXT NOT NULL,
    sku         TEXT NOT NULL,
    unit_price  INTEGER NOT NULL CHECK (unit_price >= 0),
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    discount    INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0),
    line_total  INTEGER NOT NULL CHECK (line_total = unit_price * quantity - discount)
, promotion_id INTEGER REFERENCES promotions (id), promotion TEXT NOT NULL DEFAULT '');
CREATE INDEX order_lines_order ON order_lines (order_id);
CREATE INDEX order_lines_product ON order_lines (product_id);
CREATE INDEX order_lines_promotion ON order_lines (promotion_id) WHERE promotion_id IS NOT NULL;

-- A draft sells nothing yet: its units count when it is placed, and edits of a placed
-- order's lines (back office, while it waits for payment) move the count with them.
CREATE TRIGGER order_lines_sold AFTER INSERT ON order_lines FOR EACH ROW
WHEN (SELECT status FROM orders WHERE id = NEW.order_id) <> 'draft'
BEGIN
    UPDATE products SET sold_count = sold_count + NEW.quantity WHERE id = NEW.product_id;
END;

CREATE TRIGGER order_lines_sold_update AFTER UPDATE OF quantity ON order_lines FOR EACH ROW
WHEN (SELECT status FROM orders WHERE id = NEW.order_id) <> 'draft'
BEGIN
    UPDATE products SET sold_count = max(0, sold_count + NEW.quantity - OLD.quantity)
    WHERE id = NEW.product_id;
END;

CREATE TRIGGER order_lines_sold_delete AFTER DELETE ON order_lines FOR EACH ROW
WHEN (SELECT status FROM orders WHERE id = OLD.order_id) NOT IN ('draft')
BEGIN
    UPDATE products SET sold_count = max(0, sold_count - OLD.quantity) WHERE id = OLD.product_id;
END;

CREATE TRIGGER orders_draft_placed_sold AFTER UPDATE OF status ON orders FOR EACH ROW
WHEN OLD.status = 'draft' AND NEW.status = 'pending_payment'
BEGIN
    UPDATE products SET sold_count = sold_count + coalesce(
        (SELECT sum(quantity) FROM order_lines WHERE order_id = NEW.id AND product_id = products.id), 0)
    WHERE id IN (SELECT product_id FROM order_lines WHERE order_id = NEW.id);
END;

-- Lines change only while the order is a draft or waits for payment (the back office
-- edits them then, adjusting stock in the same transaction).
CREATE TRIGGER order_lines_frozen_update BEFORE UPDATE ON order_lines FOR EACH ROW
WHEN (SELECT status FROM orders WHERE id = OLD.order_id) NOT IN ('draft', 'pending_payment')
BEGIN
    SELECT RAISE(ABORT, 'The lines of this order can no longer be changed');
END;
CREATE TRIGGER order_lines_frozen_delete BEFORE DELETE ON order_lines FOR EACH ROW
WHEN (SELECT status FROM orders WHERE id = OLD.order_id) NOT IN ('draft', 'pending_payment')
BEGIN
    SELECT RAISE(ABORT, 'The lines of this order can no longer be changed');
END;

-- Every change of stock with its reason, so stock history explains every unit.
CREATE TABLE stock_movements (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    delta       INTEGER NOT NULL CHECK (delta <> 0),
    reason      TEXT NOT NULL CHECK (reason IN ('order', 'cancel', 'adjust', 'import', 'edit')),
    order_id    INTEGER REFERENCES orders (id),
    note        TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT 'system',
    at          TEXT NOT NULL
);
CREATE INDEX stock_movements_product ON stock_movements (product_id, id);

-- Every payment attempt, whatever its outcome (POLICY: only staff or a verified provider
-- capture marks an order paid; no card data is ever stored).
CREATE TABLE payments (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    method      TEXT NOT NULL CHECK (method IN ('cod', 'bank_transfer', 'bobi', 'paypal')),
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    status      TEXT NOT NULL CHECK (status IN ('started', 'succeeded', 'refused', 'failed')),
    reference   TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT 'system',
    created_at  TEXT NOT NULL
);
CREATE INDEX payments_order ON payments (order_id, id);

-- ---------------------------------------------------------------------------------------
-- Marketing: promotions (issue 12). Time-bound price reductions for the whole shop, a
-- category with its subcategories, or chosen products.
CREATE TABLE promotions (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- percent: value is 1..100; amount: value is minor units off each unit.
    kind         TEXT NOT NULL CHECK (kind IN ('percent', 'amount')),
    value        INTEGER NOT NULL CHECK (value > 0 AND (kind <> 'percent' OR value <= 100)),
    scope        TEXT NOT NULL CHECK (scope IN ('shop', 'category', 'products')),
    category_id  INTEGER REFERENCES categories (id) ON DELETE RESTRICT,
    -- UTC, as the shop stores times; the promotion runs from starts_at up to ends_at.
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    -- Moved by the promotions job (and on every save); pricing checks the times itself.
    status       TEXT NOT NULL DEFAULT 'scheduled'
                 CHECK (status IN ('scheduled', 'active', 'ended', 'disabled')),
    -- Shown above the shop while the promotion runs; empty for none.
    banner       TEXT NOT NULL DEFAULT '' CHECK (length(banner) <= 200),
    -- A promotion that orders name is archived instead of deleted.
    archived_at  TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK (ends_at > starts_at),
    CHECK ((scope = 'category') = (category_id IS NOT NULL))
);
CREATE INDEX promotions_window ON promotions (enabled, starts_at, ends_at);

CREATE TRIGGER promotions_touch AFTER UPDATE ON promotions FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE promotions SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = NEW.id;
END;

CREATE TABLE promotion_products (
    promotion_id  INTEGER NOT NULL REFERENCES promotions (id) ON DELETE CASCADE,
    product_id    INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    PRIMARY KEY (promotion_id, product_id)
) WITHOUT ROWID;
CREATE INDEX promotion_products_product ON promotion_products (product_id);

-- What the shop shows changes with a promotion; the times it starts and ends are handled
-- by the catalogue cache itself (it keeps nothing past the next start or end).
CREATE TRIGGER catalog_rev_promotions_ins AFTER INSERT ON promotions
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_promotions_upd AFTER UPDATE ON promotions
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_promotions_del AFTER DELETE ON promotions
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_promotion_products_ins AFTER INSERT ON promotion_products
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_rev_promotion_products_del AFTER DELETE ON promotion_products
BEGIN UPDATE catalog_revision SET rev = rev + 1; END;

-- ---------------------------------------------------------------------------------------
-- Marketing: vouchers (issue 12). One-time codes, redeemed in the order's transaction.
CREATE TABLE vouchers (
    id            INTEGER PRIMARY KEY,
    -- As matched: upper case, without spaces or dashes, from A-Z and 0-9.
    code          TEXT NOT NULL UNIQUE
                  CHECK (length(code) BETWEEN 4 AND 32 AND code NOT GLOB '*[^A-Z0-9]*'),
    -- The one customer who may use it; NULL for anyone.
    customer_id   INTEGER REFERENCES customers (id),
    -- percent: value is 1..100; amount: value is minor units off the order.
    kind          TEXT NOT NULL CHECK (kind IN ('percent', 'amount')),
    value         INTEGER NOT NULL CHECK (value > 0 AND (kind <> 'percent' OR value <= 100)),
    -- The subtotal after promotions must reach this (minor units).
    min_subtotal  INTEGER NOT NULL DEFAULT 0 CHECK (min_subtotal >= 0),
    -- UTC; valid from valid_from up to valid_to.
    valid_from    TEXT NOT NULL,
    valid_to      TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 200),
    -- The order that redeemed it and when; cleared when that order is cancelled unpaid.
    order_id      INTEGER REFERENCES orders (id),
    used_at       TEXT,
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), issue_run_id INTEGER REFERENCES voucher_runs (id), mail_id INTEGER,
    CHECK (valid_to > valid_from),
    CHECK ((order_id IS NULL) = (used_at IS NULL))
);
CREATE INDEX vouchers_customer ON vouchers (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX vouchers_order ON vouchers (order_id) WHERE order_id IS NOT NULL;

-- One use: a redeemed voucher cannot be redeemed again (it can only be given back).
CREATE TRIGGER vouchers_one_use BEFORE UPDATE OF order_id ON vouchers FOR EACH ROW
WHEN OLD.order_id IS NOT NULL AND NEW.order_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'This voucher has already been used');
END;
-- What a used voucher gave stays as it was: its terms and its existence.
CREATE TRIGGER vouchers_used_frozen BEFORE UPDATE OF code, customer_id, kind, value, min_subtotal
ON vouchers FOR EACH ROW WHEN OLD.order_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'A used voucher cannot be changed');
END;
CREATE TRIGGER vouchers_used_kept BEFORE DELETE ON vouchers FOR EACH ROW
WHEN OLD.order_id IS NOT NULL OR EXISTS (SELECT 1 FROM orders WHERE voucher_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'A voucher that an order used cannot be deleted');
END;

-- Target groups (issue 12): customers found by a filter, saved with the members it found
-- at that moment; refreshing runs the filter again. The filter is kept as the JSON the
-- group form reads back (dates as shop days, money in minor units).
CREATE TABLE target_groups (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
    filter        TEXT NOT NULL CHECK (json_valid(filter)),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    refreshed_by  TEXT,
    refreshed_at  TEXT
);
CREATE TABLE target_group_members (
    group_id     INTEGER NOT NULL REFERENCES target_groups (id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX target_group_members_customer ON target_group_members (customer_id);

-- Vouchers issued in bulk to a group's members: one run, its terms, and how far it got.
-- The job issues in batches, each voucher with its mail in one transaction, so a run
-- killed midway resumes where it stopped.
CREATE TABLE voucher_runs (
    id            INTEGER PRIMARY KEY,
    group_id      INTEGER REFERENCES target_groups (id) ON DELETE SET NULL,
    group_name    TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('percent', 'amount')),
    value         INTEGER NOT NULL CHECK (value > 0 AND (kind <> 'percent' OR value <= 100)),
    min_subtotal  INTEGER NOT NULL DEFAULT 0 CHECK (min_subtotal >= 0),
    valid_from    TEXT NOT NULL,
    valid_to      TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 200),
    -- The group's members when the run started.
    members       INTEGER NOT NULL CHECK (members >= 0),
    -- Members passed over (deactivated or deleted accounts), counted as the run goes.
    skipped       INTEGER NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    state         TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    finished_at   TEXT,
    CHECK (valid_to > valid_from)
);
CREATE INDEX voucher_runs_running ON voucher_runs (state) WHERE state = 'running';

-- The run a voucher was issued by (vouchers.issue_run_id); never two for one member from one
-- run. vouchers.mail_id is the mail that told its customer (no foreign key: the outbox knows
-- no feature).
CREATE UNIQUE INDEX vouchers_one_per_run ON vouchers (issue_run_id, customer_id) WHERE issue_run_id IS NOT NULL;

-- ---------------------------------------------------------------------------------------
-- Campaigns (issue 12): the `campaign` mail template sent to a target group's members
-- through the mail queue. A draft is written and previewed, then sent: the `marketing`
-- job works through the members in batches, each batch one transaction that records a
-- recipient row per member with the mail queued for them, so a campaign killed midway
-- resumes with the members who have no row yet, and the primary key makes a second mail
-- to one member from one campaign impossible.
CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    group_id      INTEGER REFERENCES target_groups (id) ON DELETE SET NULL,
    group_name    TEXT NOT NULL,
    title         TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 150),
    message       TEXT NOT NULL CHECK (length(message) BETWEEN 1 AND 20000),
    link          TEXT NOT NULL DEFAULT '' CHECK (length(link) <= 500),
    state         TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'sending', 'done')),
    -- The shop's address for the links in the mails, fixed when sending starts.
    shop_url      TEXT NOT NULL DEFAULT '',
    -- The group's members when sending started.
    members       INTEGER NOT NULL DEFAULT 0 CHECK (members >= 0),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    sent_by       TEXT,
    started_at    TEXT,
    finished_at   TEXT
);
CREATE INDEX campaigns_sending ON campaigns (state) WHERE state = 'sending';
CREATE INDEX campaigns_group ON campaigns (group_id);

-- One row per member a campaign went to: the mail queued for them, or why they were
-- passed over (opted out of marketing mail, or an inactive or deleted account).
CREATE TABLE campaign_recipients (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    mail_id      INTEGER,
    skipped      TEXT NOT NULL DEFAULT '' CHECK (skipped IN ('', 'opted_out', 'inactive')),
    CHECK ((mail_id IS NULL) = (skipped <> '')),
    PRIMARY KEY (campaign_id, customer_id)
) WITHOUT ROWID;
