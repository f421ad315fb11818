//! Screenshots live as PNG (or JPEG) files under the data dir, never in memory.

use std::path::{Path, PathBuf};

use base64::Engine;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_SIGNATURE: &[u8] = b"\xff\xd8\xff";

#[derive(Debug, thiserror::Error)]
pub enum ScreenshotError {
    #[error("screenshot data is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("screenshot data is neither PNG nor JPEG")]
    NotAnImage,
    #[error("could not write the screenshot to {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// A saved screenshot: its id (for `/api/screenshots/:id`), file and size.
#[derive(Debug, Clone)]
pub struct SavedScreenshot {
    pub id: String,
    pub path: PathBuf,
    pub bytes: usize,
    pub extension: &'static str,
}

/// Decodes a `data:image/...;base64,` URL or bare base64 into image bytes.
pub fn decode_image(data: &str) -> Result<(Vec<u8>, &'static str), ScreenshotError> {
    let b64 = match data.find(";base64,") {
        Some(i) if data.starts_with("data:") => &data[i + 8..],
        _ => data,
    };
    let cleaned: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(cleaned.as_bytes())?;
    let ext = if bytes.starts_with(PNG_SIGNATURE) {
        "png"
    } else if bytes.starts_with(JPEG_SIGNATURE) {
        "jpg"
    } else {
        return Err(ScreenshotError::NotAnImage);
    };
    Ok((bytes, ext))
}

/// Screenshot ids are ours (`shot-…`): only these characters may reach a file name.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn write(
    dir: &Path,
    id: &str,
    bytes: &[u8],
    ext: &'static str,
) -> Result<SavedScreenshot, ScreenshotError> {
    let path = dir.join(format!("{id}.{ext}"));
    let io = |source| ScreenshotError::Io { path: path.clone(), source };
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(&path, bytes).map_err(io)?;
    Ok(SavedScreenshot { id: id.to_string(), path, bytes: bytes.len(), extension: ext })
}

/// Finds a saved screenshot's file by id.
pub fn find(dir: &Path, id: &str) -> Option<(PathBuf, &'static str)> {
    if !is_valid_id(id) {
        return None;
    }
    [("png", "image/png"), ("jpg", "image/jpeg")]
        .into_iter()
        .map(|(ext, mime)| (dir.join(format!("{id}.{ext}")), mime))
        .find(|(p, _)| p.is_file())
}
