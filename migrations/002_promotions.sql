-- Schema 2 -> 3: promotions (issue 12). Time-bound price reductions for the whole shop, a
-- category with its subcategories, or chosen products; order lines keep the one that
-- applied, by id and by name, whatever happens to it later.

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

-- The promotion a line was charged with (its discount is the line's `discount`).
ALTER TABLE order_lines ADD COLUMN promotion_id INTEGER REFERENCES promotions (id);
ALTER TABLE order_lines ADD COLUMN promotion TEXT NOT NULL DEFAULT '';
CREATE INDEX order_lines_promotion ON order_lines (promotion_id) WHERE promotion_id IS NOT NULL;
