//! Screenshots for the demo browser: a small picture of a fake page (header bar, title, text
//! lines, product cards, footer), drawn into an RGB buffer and encoded with the `png` crate, so
//! the screenshot path is exercised end to end with a real, decodable image.

use super::rng::Rng;

/// How the page looks: the site's colour, and a seed (from the URL) that varies the layout.
#[derive(Debug, Clone, Copy)]
pub struct PageLook {
    pub accent: [u8; 3],
    pub seed: u64,
    /// A page outside the demo's sites: drawn plain, like example.com.
    pub plain: bool,
}

/// Largest side we draw: requests come from users (`set_viewport` accepts 10000 x 10000).
pub const MAX_SIDE: u32 = 2400;

const BACKGROUND: [u8; 3] = [248, 249, 250];
const TEXT: [u8; 3] = [206, 212, 218];
const HEADING: [u8; 3] = [73, 80, 87];
const FOOTER: [u8; 3] = [33, 37, 41];
const CARD: [u8; 3] = [255, 255, 255];
const CARD_EDGE: [u8; 3] = [222, 226, 230];
const SWATCHES: [[u8; 3]; 6] =
    [[251, 191, 36], [52, 211, 153], [96, 165, 250], [244, 114, 182], [167, 139, 250], [248, 113, 113]];

struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32, fill: [u8; 3]) -> Self {
        let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
        for _ in 0..width as usize * height as usize {
            pixels.extend_from_slice(&fill);
        }
        Canvas { width, height, pixels }
    }

    /// A filled rectangle, clipped to the canvas.
    fn rect(&mut self, x: i64, y: i64, w: i64, h: i64, color: [u8; 3]) {
        let x0 = x.clamp(0, i64::from(self.width)) as usize;
        let y0 = y.clamp(0, i64::from(self.height)) as usize;
        let x1 = (x + w).clamp(0, i64::from(self.width)) as usize;
        let y1 = (y + h).clamp(0, i64::from(self.height)) as usize;
        if x1 <= x0 || y1 <= y0 {
            return;
        }
        for row in y0..y1 {
            let start = (row * self.width as usize + x0) * 3;
            let end = (row * self.width as usize + x1) * 3;
            for px in self.pixels[start..end].chunks_exact_mut(3) {
                px.copy_from_slice(&color);
            }
        }
    }
}

fn lighten(c: [u8; 3], amount: f32) -> [u8; 3] {
    c.map(|v| (f32::from(v) + (255.0 - f32::from(v)) * amount) as u8)
}

/// Draws the top `height` rows of a page `page_height` tall (a viewport shot shows the top of
/// the page; a full-page shot passes the same height twice) and returns the PNG bytes.
pub fn render(
    look: PageLook,
    width: u32,
    height: u32,
    page_height: u32,
) -> Result<Vec<u8>, ::png::EncodingError> {
    let (w, h) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
    let page_h = page_height.clamp(h, MAX_SIDE);
    let mut canvas = Canvas::new(w, h, BACKGROUND);
    if look.plain {
        draw_plain(&mut canvas);
    } else {
        draw_app(&mut canvas, look, i64::from(page_h));
    }
    encode(&canvas)
}

fn draw_plain(c: &mut Canvas) {
    let (w, h) = (i64::from(c.width), i64::from(c.height));
    c.rect(0, 0, w, h, [240, 240, 242]);
    let (bw, bh) = (w * 6 / 10, h / 3);
    c.rect((w - bw) / 2, h / 5, bw, bh, [253, 253, 255]);
    c.rect((w - bw) / 2 + 10, h / 5 + 10, bw / 2, 8, HEADING);
    for i in 0..3 {
        c.rect((w - bw) / 2 + 10, h / 5 + 30 + i * 12, bw - 20 - i * 15, 5, TEXT);
    }
}

/// The demo app's page. Sizes follow the width only, so a viewport shot is exactly the top of
/// the full-page one.
fn draw_app(c: &mut Canvas, look: PageLook, page_h: i64) {
    let mut rng = Rng::new(look.seed);
    let w = i64::from(c.width);
    let pad = (w / 20).max(4);
    // Header: the site's colour, a logo, navigation links.
    let header = (w / 10).clamp(12, 48);
    c.rect(0, 0, w, header, look.accent);
    c.rect(pad, header / 4, header / 2, header / 2, lighten(look.accent, 0.85));
    let mut x = w - pad;
    for _ in 0..3 {
        let link = (w / 16).max(6);
        x -= link;
        c.rect(x, header * 2 / 5, link, (header / 5).max(2), lighten(look.accent, 0.6));
        x -= pad / 2;
    }
    // Title and a paragraph.
    let mut y = header + pad;
    let title_h = (w / 40).clamp(4, 12);
    c.rect(pad, y, w * (35 + rng.range(0, 20) as i64) / 100, title_h, HEADING);
    y += title_h + pad / 2;
    let line_h = (w / 80).clamp(2, 6);
    for _ in 0..3 {
        c.rect(pad, y, w * (55 + rng.range(0, 35) as i64) / 100, line_h, TEXT);
        y += line_h * 2;
    }
    y += pad / 2;
    // Cards, row after row, down to the footer.
    let footer = (w / 10).clamp(10, 48);
    let cols = 3;
    let gap = pad / 2;
    let card_w = (w - 2 * pad - gap * (cols - 1)) / cols;
    let card_h = card_w * 5 / 4;
    while y + card_h + gap < page_h - footer {
        for col in 0..cols {
            let cx = pad + col * (card_w + gap);
            c.rect(cx - 1, y - 1, card_w + 2, card_h + 2, CARD_EDGE);
            c.rect(cx, y, card_w, card_h, CARD);
            let swatch = *rng.pick(&SWATCHES);
            c.rect(cx, y, card_w, card_h * 3 / 5, swatch);
            c.rect(cx + 4, y + card_h * 2 / 3, card_w * 2 / 3, (card_h / 14).max(2), HEADING);
            c.rect(cx + 4, y + card_h * 5 / 6, card_w / 3, (card_h / 16).max(2), look.accent);
        }
        y += card_h + gap;
    }
    c.rect(0, page_h - footer, w, footer, FOOTER);
}

fn encode(canvas: &Canvas) -> Result<Vec<u8>, ::png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = ::png::Encoder::new(&mut out, canvas.width, canvas.height);
        encoder.set_color(::png::ColorType::Rgb);
        encoder.set_depth(::png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&canvas.pixels)?;
        writer.finish()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("PNG data");
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn renders_a_decodable_png_of_the_page() {
        let look = PageLook { accent: [79, 70, 229], seed: 9, plain: false };
        let bytes = render(look, 320, 200, 600).expect("encodes");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let (w, h, top) = decode(&bytes);
        assert_eq!((w, h), (320, 200));
        // The header bar is in the site's colour.
        assert_eq!(&top[..3], &[79, 70, 229]);
        // Full page: taller, ends in the dark footer, and the viewport shot is its top.
        let tall = render(look, 320, 600, 600).expect("encodes");
        let (_, th, full) = decode(&tall);
        assert_eq!(th, 600);
        assert_eq!(&full[full.len() - 3..], &FOOTER);
        assert_eq!(&full[..top.len()], &top[..]);
        assert!(tall.len() < 64 * 1024, "{} bytes", tall.len());
    }

    #[test]
    fn odd_sizes_are_clamped_not_fatal() {
        let look = PageLook { accent: [1, 2, 3], seed: 0, plain: true };
        for (w, h) in [(0, 0), (1, 1), (3, 100_000), (u32::MAX, 2)] {
            let bytes = render(look, w, h, h).expect("encodes");
            let (dw, dh, _) = decode(&bytes);
            assert!((1..=MAX_SIDE).contains(&dw) && (1..=MAX_SIDE).contains(&dh));
        }
    }
}
