//! Catalogue vocabulary for the demo shop: the category tree and, per subcategory, the words
//! that product names, prices, descriptions and pictures are built from.
//!
//! The tables are hand-aligned (one product family per block), hence `rustfmt::skip`.
//! Also here: turning those words into a product's name, description and slug.

use rand::Rng;

use super::images::Shape;

pub struct Top {
    pub name: &'static str,
    /// First part of the SKU, e.g. `KIT` in `KIT-MUG-00042`.
    pub code: &'static str,
    pub about: &'static str,
    /// Soft picture backgrounds, so a category's products look like one family.
    pub palette: [[u8; 3]; 4],
    /// Whole sentences that fit every product of the category.
    pub details: &'static [&'static str],
    pub subs: &'static [Sub],
}

pub struct Sub {
    pub name: &'static str,
    pub code: &'static str,
    pub about: &'static str,
    pub shape: Shape,
    /// Price range in whole major units of the currency.
    pub price: (u32, u32),
    pub adjs: &'static [&'static str],
    /// Singular nouns: descriptions say "The <adj> <noun> is ...".
    pub nouns: &'static [&'static str],
    /// Appended after the noun ("26 cm", "A5"); empty when sizes make no sense.
    pub sizes: &'static [&'static str],
    /// Whether names end in " – <colour>".
    pub colours: bool,
    /// Verb phrases completing "The <adj> <noun> ...".
    pub uses: &'static [&'static str],
}

/// Named colours for product variants; the picture is drawn in the same colour.
#[rustfmt::skip]
pub const COLOURS: &[(&str, [u8; 3])] = &[
    ("Ocean Blue", [46, 110, 158]), ("Sage", [143, 164, 130]), ("Terracotta", [196, 98, 68]),
    ("Mustard", [214, 165, 46]), ("Charcoal", [64, 66, 72]), ("Blush Pink", [226, 160, 160]),
    ("Forest Green", [46, 94, 64]), ("Sand", [206, 182, 140]), ("Crème", [236, 222, 196]),
    ("Plum", [112, 58, 92]), ("Slate Grey", [104, 116, 128]), ("Coral", [240, 112, 96]),
    ("Midnight Navy", [34, 44, 82]), ("Olive", [120, 122, 58]), ("Rust", [168, 74, 40]),
    ("Lavender", [170, 150, 204]), ("Teal", [38, 128, 128]), ("Butter Yellow", [240, 214, 120]),
];

/// Closing sentences that suit any product.
pub const CLOSERS: &[&str] = &[
    "Packed plastic-free and sent out within two working days.",
    "Every piece is checked by hand before it leaves us.",
    "Made in small batches, so each one is a little different.",
    "Makes an easy, well-received gift.",
    "Free returns within thirty days if it is not quite right.",
];

#[rustfmt::skip]
pub const TREE: &[Top] = &[
    Top { name: "Kitchen", code: "KIT", about: "Pots, pans, knives and the mug for your first coffee of the day.",
        palette: [[250, 238, 222], [246, 230, 214], [240, 234, 220], [252, 242, 230]],
        details: &["Dishwasher safe, though washing by hand keeps it looking new for longer.",
            "Food safe and free from lead and cadmium.", "Made to be used every day, not saved for best."],
        subs: &[
            Sub { name: "Mugs & Cups", code: "MUG", shape: Shape::Mug, price: (8, 28),
                about: "Mugs and cups for every hot drink, from a quick espresso to a slow pot of tea.",
                adjs: &["Stoneware", "Enamel", "Porcelain", "Speckled", "Hand-Thrown", "Café"],
                nouns: &["Mug", "Cup", "Espresso Cup", "Latte Bowl", "Tumbler"], sizes: &[], colours: true,
                uses: &["is made for slow morning coffee", "keeps tea warm a little longer than you expect",
                    "sits comfortably in two cupped hands", "has a glaze that only gets better with use"] },
            Sub { name: "Cookware", code: "COO", shape: Shape::Pan, price: (25, 140),
                about: "Pans and pots that heat evenly and last for decades.",
                adjs: &["Cast Iron", "Carbon Steel", "Enamelled", "Stainless Steel", "Copper-Core"],
                nouns: &["Skillet", "Frying Pan", "Sauté Pan", "Saucepan", "Casserole"],
                sizes: &["20 cm", "24 cm", "26 cm", "28 cm"], colours: false,
                uses: &["heats evenly from edge to centre", "goes from the hob straight into the oven",
                    "works on gas, electric and induction", "browns, sears and simmers without fuss"] },
            Sub { name: "Knives", code: "KNI", shape: Shape::Blade, price: (18, 120),
                about: "Sharp, well-balanced knives for every job on the chopping board.",
                adjs: &["Damascus", "Forged", "Japanese-Style", "Olive Wood", "Carbon Steel"],
                nouns: &["Chef's Knife", "Paring Knife", "Bread Knife", "Santoku", "Utility Knife"],
                sizes: &["9 cm", "15 cm", "20 cm", "23 cm"], colours: false,
                uses: &["holds a keen edge through months of daily use", "is balanced so it almost cuts by itself",
                    "has a handle that stays comfortable through a long prep"] },
            Sub { name: "Tableware", code: "TAB", shape: Shape::Plate, price: (6, 45),
                about: "Plates, bowls and platters for everyday meals and long dinners.",
                adjs: &["Stoneware", "Reactive Glaze", "Porcelain", "Rimmed", "Hand-Painted"],
                nouns: &["Dinner Plate", "Side Plate", "Pasta Bowl", "Serving Platter", "Salad Bowl"],
                sizes: &[], colours: true,
                uses: &["stacks neatly in a crowded cupboard", "makes a simple supper look considered",
                    "is sturdy enough for every day and pretty enough for guests"] },
        ] },
    Top { name: "Home & Living", code: "HOM", about: "Soft furnishings, candles and lamps that make a house feel like home.",
        palette: [[238, 232, 244], [232, 232, 238], [244, 236, 240], [236, 238, 246]],
        details: &["Designed to sit quietly in any room.", "Made from natural materials chosen to age well.",
            "Spot clean with a damp cloth."],
        subs: &[
            Sub { name: "Cushions & Throws", code: "CUS", shape: Shape::Cushion, price: (18, 90),
                about: "Cushions, throws and blankets for sofas, beds and reading corners.",
                adjs: &["Linen", "Wool", "Velvet", "Bouclé", "Waffle Knit", "Chunky"],
                nouns: &["Cushion", "Throw", "Blanket", "Bolster"], sizes: &[], colours: true,
                uses: &["softens a hard chair or a bare sofa corner", "washes well and only gets softer",
                    "adds warmth without adding clutter"] },
            Sub { name: "Candles", code: "CAN", shape: Shape::Candle, price: (9, 38),
                about: "Hand-poured candles in clean-burning natural wax.",
                adjs: &["Soy Wax", "Beeswax", "Scented", "Fig & Cedar", "Amber", "Unscented"],
                nouns: &["Candle", "Tin Candle", "Pillar Candle", "Travel Candle"], sizes: &[], colours: true,
                uses: &["burns clean and slow for around forty hours", "fills a room without overpowering it",
                    "is poured by hand in small batches"] },
            Sub { name: "Vases", code: "VAS", shape: Shape::Vase, price: (15, 80),
                about: "Vases and jugs for a single stem or an armful of flowers.",
                adjs: &["Ceramic", "Glass", "Ribbed", "Recycled Glass", "Matte"],
                nouns: &["Vase", "Bud Vase", "Jug", "Bottle Vase"], sizes: &[], colours: true,
                uses: &["looks just as good empty as it does full", "suits a single stem or a generous bunch",
                    "has a weighted base that will not tip"] },
            Sub { name: "Lighting", code: "LIG", shape: Shape::Lamp, price: (35, 180),
                about: "Table lamps, pendants and wall lights with a warm, even glow.",
                adjs: &["Rattan", "Brass", "Ceramic", "Linen Shade", "Opal Glass"],
                nouns: &["Table Lamp", "Floor Lamp", "Pendant Light", "Wall Light", "Reading Lamp"],
                sizes: &[], colours: true,
                uses: &["gives a warm, even light for slow evenings", "takes a standard E27 bulb",
                    "makes a dark corner feel lived in"] },
        ] },
    Top { name: "Garden", code: "GAR", about: "Pots, tools and seeds for gardens, balconies and windowsills.",
        palette: [[226, 240, 222], [234, 244, 226], [222, 236, 230], [240, 246, 232]],
        details: &["Made to live outdoors through every season.", "Packed in recycled cardboard with no plastic.",
            "Tested in our own allotment before it reached the shop."],
        subs: &[
            Sub { name: "Planters", code: "PLA", shape: Shape::Plant, price: (12, 70),
                about: "Planters and pots for everything from herbs to small trees.",
                adjs: &["Glazed", "Concrete", "Self-Watering", "Hanging", "Fibreclay"],
                nouns: &["Planter", "Plant Pot", "Window Box", "Trough"],
                sizes: &["12 cm", "18 cm", "25 cm", "32 cm"], colours: true,
                uses: &["has a drainage hole and a matching saucer", "is frost resistant down to minus ten degrees",
                    "gives roots room to grow for a few seasons"] },
            Sub { name: "Garden Tools", code: "TOO", shape: Shape::Trowel, price: (10, 60),
                about: "Hand tools that make light work of digging, weeding and pruning.",
                adjs: &["Stainless Steel", "Ash-Handled", "Forged", "Compact", "Ergonomic"],
                nouns: &["Trowel", "Hand Fork", "Dibber", "Weeding Knife", "Transplanter"], sizes: &[],
                colours: false,
                uses: &["fits the hand well after a long afternoon of weeding",
                    "cleans up with a quick wipe and a drop of oil", "is built to be handed down"] },
            Sub { name: "Seeds & Bulbs", code: "SEE", shape: Shape::Packet, price: (3, 14),
                about: "Seeds and bulbs chosen to grow well in ordinary gardens.",
                adjs: &["Heirloom", "Organic", "Wildflower", "Cut Flower", "Pollinator"],
                nouns: &["Seed Mix", "Bulb Collection", "Herb Seed Kit", "Meadow Mix", "Seed Packet"],
                sizes: &[], colours: false,
                uses: &["germinates reliably on a sunny windowsill", "brings bees and butterflies to the smallest balcony",
                    "comes with clear sowing instructions"] },
            Sub { name: "Watering", code: "WAT", shape: Shape::Can, price: (14, 55),
                about: "Cans and misters that water gently, indoors and out.",
                adjs: &["Galvanised", "Powder-Coated", "Indoor", "Long-Reach", "Brass-Rose"],
                nouns: &["Watering Can", "Plant Mister", "Watering Jug"], sizes: &["1 l", "2 l", "5 l"],
                colours: true,
                uses: &["pours a gentle shower that will not wash out seedlings", "balances well even when full",
                    "is light enough to carry round the whole garden"] },
        ] },
    Top { name: "Stationery", code: "STA", about: "Notebooks, pens and paper goods for writing things down properly.",
        palette: [[226, 236, 248], [234, 240, 250], [222, 232, 242], [238, 242, 250]],
        details: &["Designed in our studio and made by a family-run workshop.",
            "Printed with vegetable-based inks on FSC-certified materials.",
            "A small thing that makes the working day a bit nicer."],
        subs: &[
            Sub { name: "Notebooks", code: "NOT", shape: Shape::Book, price: (6, 24),
                about: "Notebooks and journals with paper that is a pleasure to write on.",
                adjs: &["Dotted", "Lined", "Plain", "Grid", "Linen-Bound"],
                nouns: &["Notebook", "Journal", "Sketchbook", "Reporter Pad"], sizes: &["A5", "A6", "B5"],
                colours: true,
                uses: &["lies flat so you can write right to the edge",
                    "has thick paper that takes fountain pen ink without bleeding",
                    "has numbered pages and a ribbon marker"] },
            Sub { name: "Pens & Pencils", code: "PEN", shape: Shape::Pencils, price: (2, 40),
                about: "Pens and pencils that feel good in the hand.",
                adjs: &["Brass", "Bamboo", "Recycled", "Matte", "Everyday"],
                nouns: &["Ballpoint Pen", "Pencil Set", "Rollerball", "Fountain Pen", "Fineliner"],
                sizes: &[], colours: true,
                uses: &["writes smoothly from the first word", "sits nicely balanced in the hand",
                    "takes standard refills you can buy anywhere"] },
            Sub { name: "Cards & Wrapping", code: "CAR", shape: Shape::Card, price: (2, 12),
                about: "Cards, wrapping paper and tags for every occasion.",
                adjs: &["Letterpress", "Botanical", "Kraft", "Foil-Printed", "Watercolour"],
                nouns: &["Greeting Card", "Birthday Card", "Gift Wrap", "Gift Tag Set", "Thank You Card"],
                sizes: &[], colours: true,
                uses: &["is printed on heavy recycled board", "comes with a matching envelope",
                    "leaves plenty of room for a proper message"] },
            Sub { name: "Desk Organisers", code: "DES", shape: Shape::Box, price: (12, 60),
                about: "Trays, pots and boxes that keep a desk in order.",
                adjs: &["Oak", "Powder-Coated", "Cork", "Leather", "Stackable"],
                nouns: &["Desk Tidy", "Pen Pot", "Letter Tray", "Document Box", "Monitor Stand"],
                sizes: &[], colours: true,
                uses: &["keeps the everyday clutter in one place", "is sized for A4 paper and a little more",
                    "looks good enough to leave out on the desk"] },
        ] },
    Top { name: "Toys & Games", code: "TOY", about: "Wooden toys, games and puzzles for every age.",
        palette: [[252, 244, 206], [250, 238, 214], [248, 246, 220], [254, 240, 222]],
        details: &["Tested to EN 71 toy safety standards.", "Suitable for ages three and up.",
            "Packed in a box that makes wrapping optional."],
        subs: &[
            Sub { name: "Wooden Toys", code: "WOO", shape: Shape::Blocks, price: (12, 65),
                about: "Classic wooden toys made to survive generations of play.",
                adjs: &["Beechwood", "Painted", "Stacking", "Rainbow", "Pull-Along"],
                nouns: &["Block Set", "Train", "Stacking Tower", "Shape Sorter", "Rocking Horse"],
                sizes: &[], colours: false,
                uses: &["is finished with water-based, child-safe paints",
                    "has no small parts and rounded edges all round", "encourages hours of open-ended play"] },
            Sub { name: "Board Games", code: "BOA", shape: Shape::Box, price: (18, 55),
                about: "Board and card games for family evenings and game nights.",
                adjs: &["Family", "Strategy", "Cooperative", "Pocket", "Classic"],
                nouns: &["Board Game", "Card Game", "Dice Game", "Trivia Game", "Chess Set"], sizes: &[],
                colours: false,
                uses: &["plays in about thirty minutes for two to six players", "has rules you can learn in five",
                    "comes with everything needed to start playing"] },
            Sub { name: "Puzzles", code: "PUZ", shape: Shape::Puzzle, price: (12, 35),
                about: "Jigsaws from quick ones to long winter projects.",
                adjs: &["Landscape", "Botanical", "Map", "Vintage Poster", "Wildlife"],
                nouns: &["Jigsaw", "Jigsaw Puzzle", "Floor Puzzle", "Mini Puzzle"],
                sizes: &["100 pieces", "500 pieces", "1000 pieces"], colours: false,
                uses: &["has thick, snug-fitting pieces that do not lift", "comes with a poster of the finished picture",
                    "is just hard enough to keep everyone at the table"] },
            Sub { name: "Plush Toys", code: "PLU", shape: Shape::Bear, price: (12, 40),
                about: "Soft toys to cuddle, carry around and keep for years.",
                adjs: &["Organic Cotton", "Knitted", "Cuddly", "Sleepy", "Tiny"],
                nouns: &["Bear", "Bunny", "Fox", "Elephant", "Owl"], sizes: &[], colours: true,
                uses: &["is soft enough for bedtime and tough enough for every day",
                    "survives the washing machine at thirty degrees", "is stitched securely with embroidered eyes"] },
        ] },
    Top { name: "Pantry", code: "PAN", about: "Coffee, preserves, oils and treats from small producers.",
        palette: [[244, 234, 212], [240, 228, 206], [246, 238, 222], [238, 232, 214]],
        details: &["Store in a cool, dry place and enjoy within a year.",
            "Made without artificial colours or preservatives.",
            "Ingredients and allergens are printed clearly on the label."],
        subs: &[
            Sub { name: "Coffee & Tea", code: "COF", shape: Shape::Packet, price: (6, 24),
                about: "Freshly roasted coffee and loose tea from growers we know.",
                adjs: &["Single-Origin", "Dark Roast", "Breakfast", "Smoked", "Herbal", "Decaf"],
                nouns: &["Coffee Blend", "Espresso Roast", "Loose Leaf Tea", "Tea Blend", "Filter Coffee"],
                sizes: &["250 g", "500 g", "1 kg"], colours: false,
                uses: &["is roasted in small batches every week", "brews a smooth, rounded cup with a sweet finish",
                    "is sourced directly from the growers"] },
            Sub { name: "Preserves & Honey", code: "PRE", shape: Shape::Jar, price: (4, 14),
                about: "Jams, marmalades and honey made the slow way.",
                adjs: &["Wildflower", "Seville Orange", "Raspberry", "Apricot", "Chilli", "Forest"],
                nouns: &["Honey", "Marmalade", "Jam", "Chutney", "Curd"], sizes: &["225 g", "340 g", "450 g"],
                colours: false,
                uses: &["is made with fruit picked at its ripest", "is slow-cooked in copper pans",
                    "is as good on toast as it is with cheese"] },
            Sub { name: "Oils & Vinegars", code: "OIL", shape: Shape::Bottle, price: (7, 30),
                about: "Cold-pressed oils and vinegars for dressing and cooking.",
                adjs: &["Extra Virgin", "Cold-Pressed", "Smoked", "Herb-Infused", "Chilli"],
                nouns: &["Olive Oil", "Rapeseed Oil", "Cider Vinegar", "Dressing", "Walnut Oil"],
                sizes: &["250 ml", "500 ml", "1 l"], colours: false,
                uses: &["is pressed within hours of the harvest", "lifts a simple salad or a bowl of soup",
                    "comes in a dark bottle that keeps it fresh"] },
            Sub { name: "Sweets & Snacks", code: "SWE", shape: Shape::Packet, price: (2, 10),
                about: "Fudge, chocolate and nibbles for sharing, or not.",
                adjs: &["Sea Salt", "Dark Chocolate", "Honeycomb", "Salted Caramel", "Roasted"],
                nouns: &["Fudge", "Brittle", "Chocolate Bar", "Toffee", "Nut Mix"], sizes: &["100 g", "200 g"],
                colours: false,
                uses: &["is made in small batches with butter and proper sugar",
                    "disappears faster than you would think", "is wrapped by hand and makes an easy gift"] },
            Sub { name: "Spices", code: "SPI", shape: Shape::Jar, price: (3, 9),
                about: "Whole and ground spices and blends, packed fresh.",
                adjs: &["Smoked", "Whole", "Ground", "Organic", "Hand-Blended"],
                nouns: &["Paprika", "Cumin", "Za'atar", "Ras El Hanout", "Garam Masala", "Black Pepper"],
                sizes: &["40 g", "80 g"], colours: false,
                uses: &["is ground fresh each week for a brighter flavour", "comes in a refillable glass jar",
                    "brings warmth to everyday cooking"] },
        ] },
    Top { name: "Outdoors", code: "OUT", about: "Kit for camping, picnics and long days outside.",
        palette: [[220, 238, 238], [228, 242, 240], [214, 232, 234], [232, 240, 236]],
        details: &["Built for muddy boots and changeable weather.", "Backed by a two-year guarantee.",
            "Repairable, with spare parts available on request."],
        subs: &[
            Sub { name: "Camping", code: "CAM", shape: Shape::Tent, price: (15, 150),
                about: "Tents, tarps and sleeping gear for nights under the stars.",
                adjs: &["Lightweight", "Waterproof", "Packable", "Insulated", "Ripstop"],
                nouns: &["Tent", "Tarp", "Sleeping Bag", "Camping Chair", "Hammock"], sizes: &[], colours: true,
                uses: &["packs down small enough for a weekend bag", "sets up in minutes, even in the wind",
                    "keeps you dry when the weather turns"] },
            Sub { name: "Picnic", code: "PIC", shape: Shape::Basket, price: (12, 90),
                about: "Baskets, blankets and cool bags for eating outside.",
                adjs: &["Wicker", "Waterproof", "Insulated", "Foldable", "Tartan"],
                nouns: &["Picnic Basket", "Picnic Blanket", "Cool Bag", "Picnic Set"], sizes: &[], colours: true,
                uses: &["carries lunch for four without a struggle", "has a waterproof backing for damp grass",
                    "folds flat when the day is done"] },
            Sub { name: "Bottles & Flasks", code: "BOT", shape: Shape::Bottle, price: (14, 45),
                about: "Bottles and flasks that keep drinks hot or cold for hours.",
                adjs: &["Insulated", "Stainless Steel", "Glass", "Leakproof", "Trail"],
                nouns: &["Water Bottle", "Flask", "Food Jar", "Travel Mug"],
                sizes: &["350 ml", "500 ml", "750 ml", "1 l"], colours: true,
                uses: &["keeps drinks cold for a day or hot for twelve hours",
                    "never leaks, even upside down in a bag", "is free from BPA and easy to clean"] },
        ] },
    Top { name: "Bath & Body", code: "BAT", about: "Soaps, towels and skincare for a slower bathroom routine.",
        palette: [[248, 230, 234], [240, 236, 246], [226, 242, 246], [250, 236, 238]],
        details: &["Cruelty-free and never tested on animals.", "Vegan, with fully recyclable packaging.",
            "Made in small batches in our own workshop."],
        subs: &[
            Sub { name: "Soaps", code: "SOA", shape: Shape::Soap, price: (4, 12),
                about: "Cold-process soaps and shampoo bars with simple ingredients.",
                adjs: &["Oat Milk", "Lavender", "Charcoal", "Seaweed", "Rose Clay", "Olive Oil"],
                nouns: &["Soap Bar", "Shampoo Bar", "Hand Soap", "Guest Soap"], sizes: &["100 g", "150 g"],
                colours: false,
                uses: &["lathers richly and rinses clean", "is cured for six weeks for a longer-lasting bar",
                    "is gentle enough for sensitive skin"] },
            Sub { name: "Towels", code: "TOW", shape: Shape::Stack, price: (12, 55),
                about: "Towels and bath mats that are soft, thirsty and quick to dry.",
                adjs: &["Cotton", "Waffle", "Linen", "Turkish", "Organic"],
                nouns: &["Hand Towel", "Bath Towel", "Bath Sheet", "Face Cloth", "Bath Mat"], sizes: &[],
                colours: true,
                uses: &["is thirsty, quick-drying and soft from the first wash", "gets softer with every wash",
                    "is woven from long-staple cotton"] },
            Sub { name: "Skincare", code: "SKI", shape: Shape::Bottle, price: (9, 45),
                about: "Oils, balms and creams made with plant ingredients.",
                adjs: &["Rosehip", "Hydrating", "Calming", "Vitamin C", "Overnight"],
                nouns: &["Face Oil", "Moisturiser", "Cleanser", "Serum", "Hand Cream", "Lip Balm"],
                sizes: &["15 ml", "30 ml", "50 ml"], colours: false,
                uses: &["sinks in quickly without leaving a greasy feel", "is made with plant oils and nothing synthetic",
                    "suits every skin type, morning and night"] },
            Sub { name: "Bath Accessories", code: "ACC", shape: Shape::Soap, price: (6, 40),
                about: "Dishes, brushes and trays that bring order to the bathroom.",
                adjs: &["Bamboo", "Ceramic", "Oak", "Sisal", "Marble"],
                nouns: &["Soap Dish", "Toothbrush Cup", "Bath Brush", "Bath Tray", "Nail Brush"], sizes: &[],
                colours: true,
                uses: &["brings a little order to the edge of the bath", "is finished to cope with steam and splashes",
                    "is easy to keep clean"] },
        ] },
];

/// A product's words, and the colour its picture is drawn in.
pub struct Naming {
    pub name: String,
    pub description: String,
    pub rgb: [u8; 3],
}

pub fn pick<'a, R: Rng>(rng: &mut R, from: &[&'a str]) -> &'a str {
    from[rng.gen_range(0..from.len())]
}

/// Name like "Cast Iron Skillet 26 cm" or "Dotted Notebook A5 – Sage", and a description of
/// two to four sentences: what it is for, a category detail, then maybe variant and closer.
pub fn name_product<R: Rng>(rng: &mut R, top: &Top, sub: &Sub) -> Naming {
    let (adj, noun) = (pick(rng, sub.adjs), pick(rng, sub.nouns));
    let size = (!sub.sizes.is_empty()).then(|| pick(rng, sub.sizes));
    let (colour, rgb) = COLOURS[rng.gen_range(0..COLOURS.len())];
    let colour = sub.colours.then_some(colour);
    let intro = format!(
        "The {adj} {noun} {}. {}",
        pick(rng, sub.uses),
        pick(rng, top.details)
    );
    let mut more = Vec::new();
    match (colour, size) {
        (Some(c), _) if rng.gen_bool(0.5) => more.push(format!("Shown here in {c}.")),
        (_, Some(s)) if rng.gen_bool(0.5) => more.push(format!("Size: {s}.")),
        _ => {}
    }
    if rng.gen_bool(0.5) {
        more.push(pick(rng, CLOSERS).to_string());
    }
    let mut name = format!("{adj} {noun}");
    if let Some(size) = size {
        name = format!("{name} {size}");
    }
    if let Some(colour) = colour {
        name = format!("{name} – {colour}");
    }
    let description = match more.is_empty() {
        true => intro,
        false => format!("{intro}\n\n{}", more.join(" ")),
    };
    Naming {
        name,
        description,
        rgb,
    }
}

/// Lower-case ASCII slug: common Latin accents transliterated, other letters dropped,
/// apostrophes removed ("Chef's" -> "chefs"), anything else one dash between words.
pub fn slugify(s: &str) -> String {
    let mut flat = String::with_capacity(s.len());
    for ch in s.chars().flat_map(char::to_lowercase) {
        match ch {
            'a'..='z' | '0'..='9' => flat.push(ch),
            'à'..='å' => flat.push('a'),
            'ç' => flat.push('c'),
            'è'..='ë' => flat.push('e'),
            'ì'..='ï' => flat.push('i'),
            'ñ' => flat.push('n'),
            'ò'..='ö' | 'ø' => flat.push('o'),
            'ù'..='ü' => flat.push('u'),
            'ý' | 'ÿ' => flat.push('y'),
            'æ' => flat.push_str("ae"),
            'œ' => flat.push_str("oe"),
            'ß' => flat.push_str("ss"),
            '\'' | '’' => {}
            c if c.is_alphanumeric() => {}
            _ => flat.push(' '),
        }
    }
    let slug = flat.split_whitespace().collect::<Vec<_>>().join("-");
    if slug.is_empty() {
        "item".into()
    } else {
        slug
    }
}
