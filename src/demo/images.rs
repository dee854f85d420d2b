//! Placeholder product pictures: flat shapes on a soft background, drawn with our own code.
//!
//! No anti-aliasing on purpose: hard edges keep the colour count tiny, so the PNGs compress to
//! a few kilobytes and encode quickly.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};

pub const SIZE: u32 = 480;

/// What an object in a picture looks like; each subcategory has one.
#[rustfmt::skip]
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    Mug, Pan, Blade, Plate, Cushion, Candle, Vase, Lamp, Plant, Trowel, Packet, Can, Book,
    Pencils, Card, Box, Blocks, Puzzle, Bear, Jar, Bottle, Tent, Basket, Soap, Stack,
}

/// Everything one picture depends on, so pictures can be drawn on any thread.
#[derive(Clone, Copy, Debug)]
pub struct Look {
    pub background: [u8; 3],
    pub colour: [u8; 3],
    pub shape: Shape,
    /// Random bits choosing placement, size, pattern and backdrop.
    pub variant: u32,
}

const WHITE: [u8; 3] = [255, 255, 255];
const STEEL: [u8; 3] = [198, 204, 212];
const WOOD: [u8; 3] = [226, 194, 148];
const LEAVES: [[u8; 3]; 3] = [[88, 140, 84], [64, 120, 70], [120, 168, 100]];
#[rustfmt::skip]
const ACCENTS: [[u8; 3]; 5] =
    [[236, 196, 92], [214, 96, 80], [70, 120, 170], [246, 244, 238], [60, 60, 66]];

fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    let m = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    [m(a[0], b[0]), m(a[1], b[1]), m(a[2], b[2])]
}

fn shade(c: [u8; 3], f: f32) -> [u8; 3] {
    mix(c, [0, 0, 0], 1.0 - f)
}

/// Colour of a row: solid, or horizontal stripes (cheap, since spans are filled per row).
#[derive(Clone, Copy)]
enum Paint {
    Solid([u8; 3]),
    Stripes([u8; 3], [u8; 3], f32),
}

impl Paint {
    fn at(self, dy: f32) -> [u8; 3] {
        match self {
            Paint::Solid(c) => c,
            Paint::Stripes(a, b, p) => [a, b][((dy / p).max(0.0) as usize) % 2],
        }
    }
}

impl From<[u8; 3]> for Paint {
    fn from(c: [u8; 3]) -> Self {
        Paint::Solid(c)
    }
}

/// An image plus a transform from design units (object centred on 0,0, about ±170) to pixels.
struct Canvas {
    img: RgbImage,
    cx: f32,
    cy: f32,
    s: f32,
}

impl Canvas {
    fn span(&mut self, y: i32, x0: f32, x1: f32, c: [u8; 3]) {
        if !(0..SIZE as i32).contains(&y) {
            return;
        }
        let a = x0.round().clamp(0.0, SIZE as f32) as usize;
        let b = x1.round().clamp(0.0, SIZE as f32) as usize;
        if a >= b {
            return;
        }
        let row = y as usize * SIZE as usize * 3;
        let buf: &mut [u8] = &mut self.img;
        for px in buf[row + a * 3..row + b * 3].chunks_exact_mut(3) {
            px.copy_from_slice(&c);
        }
    }

    fn pt(&self, x: f32, y: f32) -> (f32, f32) {
        (self.cx + x * self.s, self.cy + y * self.s)
    }

    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, r: f32, paint: impl Into<Paint>) {
        let paint = paint.into();
        let ((x0, y0), (x1, y1)) = (self.pt(x0, y0), self.pt(x1, y1));
        let r = (r * self.s).min((x1 - x0).min(y1 - y0) / 2.0).max(0.0);
        for y in y0.round() as i32..y1.round() as i32 {
            let fy = y as f32 + 0.5;
            let d = (y0 + r - fy).max(fy - (y1 - r)).max(0.0);
            let inset = r - (r * r - d * d).max(0.0).sqrt();
            self.span(y, x0 + inset, x1 - inset, paint.at(fy - y0));
        }
    }

    fn ellipse(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, paint: impl Into<Paint>) {
        self.ring(cx, cy, rx, ry, 0.0, paint);
    }

    fn circle(&mut self, cx: f32, cy: f32, r: f32, paint: impl Into<Paint>) {
        self.ring(cx, cy, r, r, 0.0, paint);
    }

    /// An ellipse with a hole (`hole` = inner radius as a fraction), leaving the hole untouched.
    fn ring(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, hole: f32, paint: impl Into<Paint>) {
        let paint = paint.into();
        let ((cx, cy), rx, ry) = (self.pt(cx, cy), rx * self.s, ry * self.s);
        for y in (cy - ry).floor() as i32..=(cy + ry).ceil() as i32 {
            let dy = (y as f32 + 0.5 - cy) / ry;
            if dy.abs() > 1.0 {
                continue;
            }
            let c = paint.at(y as f32 + 0.5 - (cy - ry));
            let outer = rx * (1.0 - dy * dy).sqrt();
            let h = dy / hole.max(f32::EPSILON);
            if hole > 0.0 && h.abs() < 1.0 {
                let inner = rx * hole * (1.0 - h * h).sqrt();
                self.span(y, cx - outer, cx - inner, c);
                self.span(y, cx + inner, cx + outer, c);
            } else {
                self.span(y, cx - outer, cx + outer, c);
            }
        }
    }

    /// A convex polygon: each row is filled between the leftmost and rightmost edge crossing.
    fn poly(&mut self, pts: &[(f32, f32)], paint: impl Into<Paint>) {
        let paint = paint.into();
        let pts: Vec<(f32, f32)> = pts.iter().map(|&(x, y)| self.pt(x, y)).collect();
        let top = pts.iter().map(|p| p.1).fold(f32::MAX, f32::min);
        let bottom = pts.iter().map(|p| p.1).fold(f32::MIN, f32::max);
        for y in top.round() as i32..bottom.round() as i32 {
            let fy = y as f32 + 0.5;
            let (mut lo, mut hi) = (f32::MAX, f32::MIN);
            for (i, &(ax, ay)) in pts.iter().enumerate() {
                let (bx, by) = pts[(i + 1) % pts.len()];
                if (ay <= fy && fy < by) || (by <= fy && fy < ay) {
                    let x = ax + (fy - ay) / (by - ay) * (bx - ax);
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
            self.span(y, lo, hi, paint.at(fy - top));
        }
    }

    /// A thick straight stroke with round ends.
    fn line(&mut self, a: (f32, f32), b: (f32, f32), w: f32, c: [u8; 3]) {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt().max(f32::EPSILON);
        let (nx, ny) = (-dy / len * w / 2.0, dx / len * w / 2.0);
        let (p, q) = ((a.0 + nx, a.1 + ny), (a.0 - nx, a.1 - ny));
        self.poly(&[p, (b.0 + nx, b.1 + ny), (b.0 - nx, b.1 - ny), q], c);
        self.circle(a.0, a.1, w / 2.0, c);
        self.circle(b.0, b.1, w / 2.0, c);
    }
}

/// Draws and encodes pictures on every core; results keep the order of `looks`.
pub fn render_all(looks: &[Look]) -> Result<Vec<Vec<u8>>, String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = looks.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let workers: Vec<_> = looks
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().map(render_png).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(looks.len());
        for w in workers {
            let pngs = w.join().map_err(|_| "picture drawing thread panicked")?;
            for png in pngs {
                out.push(png?);
            }
        }
        Ok(out)
    })
}

/// Draws one picture and encodes it as a PNG.
pub fn render_png(look: &Look) -> Result<Vec<u8>, String> {
    let img = draw(look);
    let mut out = Vec::with_capacity(16 * 1024);
    // Fast deflate with adaptive filters: ~8 KB and well under 1 ms for these flat pictures.
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(img.as_raw(), SIZE, SIZE, ExtendedColorType::Rgb8)
        .map_err(|e| format!("cannot encode PNG: {e}"))?;
    Ok(out)
}

/// Backdrop (table top, halo or nothing), shadow, then the object, placed and sized by the
/// variant bits. The drawings are in design units, one line per part, back to front.
#[rustfmt::skip]
fn draw(look: &Look) -> RgbImage {
    let (v, bg, main) = (look.variant, look.background, look.colour);
    let mut c = Canvas { img: RgbImage::from_pixel(SIZE, SIZE, Rgb(bg)), cx: 0.0, cy: 0.0, s: 1.0 };
    match (v >> 24) % 3 {
        1 => c.rect(0.0, 340.0, SIZE as f32, SIZE as f32, 0.0, shade(bg, 0.95)),
        2 => c.circle(240.0, 240.0, 200.0, mix(bg, WHITE, 0.5)),
        _ => {}
    }
    c.s = 0.9 + ((v >> 12) % 21) as f32 / 100.0;
    c.cx = 240.0 + ((v % 41) as f32 - 20.0);
    c.cy = 244.0 + (((v >> 6) % 25) as f32 - 12.0);
    c.ellipse(0.0, 172.0, 165.0, 18.0, shade(bg, 0.86));
    let (dark, light) = (shade(main, 0.72), mix(main, WHITE, 0.5));
    let accent = ACCENTS[((v >> 20) % ACCENTS.len() as u32) as usize];
    let body = if (v >> 18) % 3 == 0 { Paint::Stripes(main, light, 22.0) } else { Paint::Solid(main) };
    match look.shape {
        Shape::Mug => {
            c.ring(95.0, 10.0, 62.0, 66.0, 0.6, dark);
            c.rect(-95.0, -90.0, 95.0, 165.0, 22.0, body);
            c.rect(-95.0, -90.0, 95.0, -70.0, 8.0, dark);
        }
        Shape::Pan => {
            c.rect(40.0, -18.0, 205.0, 18.0, 16.0, dark);
            c.circle(192.0, 0.0, 7.0, accent);
            c.circle(-65.0, 0.0, 145.0, dark);
            c.circle(-65.0, 0.0, 122.0, main);
            c.circle(-100.0, -35.0, 30.0, light);
        }
        Shape::Blade => {
            c.poly(&[(-190.0, -10.0), (60.0, -40.0), (60.0, 30.0), (-120.0, 28.0)], STEEL);
            c.poly(&[(-190.0, -10.0), (60.0, -40.0), (60.0, -28.0), (-150.0, -8.0)], WHITE);
            c.rect(55.0, -34.0, 200.0, 28.0, 16.0, main);
            for x in [95.0, 130.0, 165.0] { c.circle(x, -3.0, 7.0, light); }
        }
        Shape::Plate => {
            c.circle(0.0, 0.0, 165.0, dark);
            c.circle(0.0, 0.0, 158.0, main);
            c.circle(0.0, 0.0, 110.0, light);
            for i in 0..12 {
                let a = i as f32 * std::f32::consts::TAU / 12.0;
                c.circle(134.0 * a.cos(), 134.0 * a.sin(), 8.0, accent);
            }
        }
        Shape::Cushion => {
            c.rect(-155.0, -135.0, 155.0, 150.0, 60.0, body);
            c.circle(0.0, 8.0, 13.0, dark);
            for (x, y) in [(-150.0, -130.0), (150.0, -130.0), (-150.0, 145.0), (150.0, 145.0)] {
                c.circle(x, y, 12.0, accent);
            }
        }
        Shape::Candle => {
            c.rect(-85.0, -60.0, 85.0, 165.0, 20.0, main);
            c.rect(-85.0, 20.0, 85.0, 80.0, 0.0, light);
            c.rect(-3.0, -95.0, 3.0, -60.0, 0.0, dark);
            c.ellipse(0.0, -112.0, 15.0, 30.0, [250, 186, 70]);
            c.ellipse(0.0, -103.0, 7.0, 15.0, [255, 238, 176]);
        }
        Shape::Vase => {
            c.rect(-42.0, -150.0, 42.0, 0.0, 10.0, main);
            c.ellipse(0.0, 65.0, 115.0, 105.0, body);
            c.rect(-55.0, -160.0, 55.0, -135.0, 10.0, dark);
        }
        Shape::Lamp => {
            c.rect(-8.0, -40.0, 8.0, 150.0, 4.0, dark);
            c.ellipse(0.0, 155.0, 85.0, 20.0, dark);
            c.poly(&[(-75.0, -165.0), (75.0, -165.0), (135.0, -30.0), (-135.0, -30.0)], body);
            c.rect(-135.0, -40.0, 135.0, -28.0, 4.0, accent);
        }
        Shape::Plant => {
            c.ellipse(-60.0, -40.0, 45.0, 80.0, LEAVES[0]);
            c.ellipse(60.0, -50.0, 45.0, 85.0, LEAVES[1]);
            c.ellipse(0.0, -100.0, 50.0, 90.0, LEAVES[2]);
            c.poly(&[(-100.0, 40.0), (100.0, 40.0), (78.0, 170.0), (-78.0, 170.0)], body);
            c.rect(-110.0, 25.0, 110.0, 62.0, 8.0, dark);
        }
        Shape::Trowel => {
            c.rect(-24.0, 40.0, 24.0, 175.0, 22.0, main);
            c.rect(-12.0, -5.0, 12.0, 50.0, 4.0, dark);
            c.poly(&[(0.0, -175.0), (75.0, -70.0), (62.0, 5.0), (-62.0, 5.0), (-75.0, -70.0)], STEEL);
            c.rect(-4.0, -150.0, 4.0, 0.0, 2.0, WHITE);
        }
        Shape::Packet => {
            c.poly(&[(-100.0, -125.0), (100.0, -125.0), (118.0, 165.0), (-118.0, 165.0)], body);
            c.rect(-105.0, -160.0, 105.0, -118.0, 4.0, dark);
            c.rect(-72.0, -40.0, 72.0, 70.0, 10.0, light);
            c.circle(0.0, 15.0, 28.0, accent);
        }
        Shape::Can => {
            c.ring(-5.0, -60.0, 80.0, 80.0, 0.78, dark);
            c.line((70.0, 70.0), (190.0, -80.0), 22.0, dark);
            c.circle(196.0, -88.0, 24.0, accent);
            c.rect(-100.0, -60.0, 90.0, 160.0, 22.0, body);
        }
        Shape::Book => {
            c.rect(-115.0, -165.0, 115.0, 165.0, 12.0, main);
            c.rect(-115.0, -165.0, -84.0, 165.0, 6.0, dark);
            c.rect(72.0, -165.0, 84.0, 165.0, 0.0, accent);
            c.rect(-45.0, -110.0, 50.0, -55.0, 4.0, light);
        }
        Shape::Pencils => {
            for (i, col) in [main, accent, dark].into_iter().enumerate() {
                let (x, top) = (-85.0 + 85.0 * i as f32, -100.0 + 30.0 * (i % 2) as f32);
                c.rect(x - 24.0, top, x + 24.0, 160.0, 4.0, col);
                c.poly(&[(x - 24.0, top), (x + 24.0, top), (x, top - 62.0)], WOOD);
                c.poly(&[(x - 8.0, top - 41.0), (x + 8.0, top - 41.0), (x, top - 62.0)], dark);
                c.rect(x - 24.0, 140.0, x + 24.0, 165.0, 3.0, STEEL);
            }
        }
        Shape::Card => {
            let paper = [250, 248, 242];
            c.rect(-160.0, -40.0, 160.0, 160.0, 6.0, shade(paper, 0.9));
            c.rect(-115.0, -150.0, 115.0, 80.0, 6.0, main);
            c.circle(0.0, -50.0, 45.0, light);
            c.circle(0.0, -50.0, 14.0, accent);
            c.rect(-160.0, 20.0, 160.0, 160.0, 6.0, paper);
            c.poly(&[(-160.0, 20.0), (160.0, 20.0), (0.0, 100.0)], shade(paper, 0.94));
        }
        Shape::Box => {
            c.rect(-150.0, -80.0, 150.0, 160.0, 10.0, body);
            c.rect(-162.0, -110.0, 162.0, -55.0, 10.0, dark);
            c.rect(-60.0, 0.0, 60.0, 70.0, 8.0, light);
            c.circle(0.0, 35.0, 18.0, accent);
        }
        Shape::Blocks => {
            c.rect(-125.0, 50.0, -5.0, 168.0, 8.0, main);
            c.rect(5.0, 50.0, 125.0, 168.0, 8.0, accent);
            c.rect(-60.0, -65.0, 60.0, 45.0, 8.0, light);
            c.poly(&[(-70.0, -70.0), (70.0, -70.0), (0.0, -170.0)], dark);
            c.circle(-65.0, 109.0, 22.0, light);
        }
        Shape::Puzzle => {
            for (i, col) in [main, light, light, main].into_iter().enumerate() {
                let (x, y) = (-140.0 + 140.0 * (i % 2) as f32, -140.0 + 140.0 * (i / 2) as f32);
                c.rect(x + 3.0, y + 3.0, x + 137.0, y + 137.0, 6.0, col);
            }
            c.circle(0.0, -70.0, 24.0, main);
            c.circle(0.0, 70.0, 24.0, light);
            c.circle(-70.0, 0.0, 24.0, light);
            c.circle(70.0, 0.0, 24.0, main);
        }
        Shape::Bear => {
            for x in [-85.0, 85.0] { c.circle(x, -115.0, 42.0, main); c.circle(x, -115.0, 20.0, light); }
            c.ellipse(0.0, -30.0, 120.0, 110.0, main);
            c.ellipse(0.0, 15.0, 48.0, 38.0, light);
            c.ellipse(0.0, 0.0, 15.0, 11.0, dark);
            for x in [-45.0, 45.0] { c.circle(x, -55.0, 10.0, dark); }
            for x in [-60.0, 60.0] { c.poly(&[(0.0, 110.0), (x, 85.0), (x, 140.0)], accent); }
        }
        Shape::Jar => {
            c.rect(-90.0, -70.0, 90.0, 165.0, 26.0, main);
            c.rect(-78.0, -115.0, 78.0, -65.0, 10.0, accent);
            c.rect(-90.0, 0.0, 90.0, 85.0, 0.0, light);
            c.rect(-50.0, 30.0, 50.0, 55.0, 4.0, dark);
        }
        Shape::Bottle => {
            c.rect(-24.0, -135.0, 24.0, -40.0, 4.0, main);
            c.rect(-30.0, -170.0, 30.0, -120.0, 6.0, dark);
            c.rect(-70.0, -70.0, 70.0, 165.0, 34.0, body);
            c.rect(-70.0, 20.0, 70.0, 100.0, 0.0, light);
            c.circle(0.0, 60.0, 18.0, accent);
        }
        Shape::Tent => {
            c.rect(-4.0, -175.0, 4.0, -120.0, 2.0, dark);
            c.poly(&[(-185.0, 165.0), (185.0, 165.0), (0.0, -140.0)], body);
            c.poly(&[(-55.0, 165.0), (55.0, 165.0), (0.0, 40.0)], dark);
            c.line((0.0, -140.0), (-185.0, 165.0), 8.0, dark);
        }
        Shape::Basket => {
            c.ring(0.0, -25.0, 125.0, 120.0, 0.86, dark);
            let weave = Paint::Stripes(main, light, 16.0);
            c.poly(&[(-165.0, -25.0), (165.0, -25.0), (135.0, 160.0), (-135.0, 160.0)], weave);
            c.rect(-175.0, -40.0, 175.0, 0.0, 10.0, dark);
        }
        Shape::Soap => {
            c.rect(-150.0, -70.0, 150.0, 100.0, 48.0, main);
            c.rect(-108.0, -38.0, 108.0, 68.0, 30.0, light);
            c.ring(120.0, -120.0, 22.0, 22.0, 0.8, WHITE);
            c.ring(165.0, -75.0, 12.0, 12.0, 0.7, WHITE);
        }
        Shape::Stack => {
            c.rect(-155.0, 70.0, 155.0, 165.0, 24.0, main);
            c.rect(-145.0, -25.0, 145.0, 70.0, 24.0, light);
            c.rect(-135.0, -120.0, 135.0, -25.0, 24.0, accent);
            for (w, y) in [(155.0, 110.0), (145.0, 15.0), (135.0, -80.0)] {
                c.rect(-w, y, w, y + 10.0, 0.0, dark);
            }
        }
    }
    c.img
}
