//! Reading a list of persons from an uploaded CSV or XLSX file.
//!
//! Columns, in this order unless a header row names them:
//! `ho_ten, chuc_danh, don_vi_cong_tac, email, quyen` (full name, job
//! title, work unit, email, function codes separated by `;`). A header row
//! may use these names, the Vietnamese words ("Họ và tên", "Chức danh",
//! "Đơn vị công tác", "Email", "Quyền") or the English ones (`full_name`,
//! `job_title`, `work_unit`, `email`, `permissions`), in any order. CSV:
//! UTF-8 with or without BOM, comma-separated (semicolon-separated when the
//! first line has no comma). XLSX: the first sheet. Row numbers are the
//! file's own (the header is row 1), as a spreadsheet shows them.
//!
//! The type is decided from the content, and must agree with the name's
//! extension.
use std::io::Cursor;

/// Largest file accepted (the request body limit is larger).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// Most persons in one request.
pub const MAX_ROWS: usize = 200;
/// Most bytes an XLSX may unpack to (zip bombs).
const MAX_UNPACKED: u64 = 32 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Xlsx,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Csv => "csv",
            Kind::Xlsx => "xlsx",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Csv => "text/csv; charset=utf-8",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// One person as written in the file (not yet checked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRow {
    pub row_no: i64,
    pub full_name: String,
    pub job_title: String,
    pub work_unit: String,
    pub email: String,
    pub permissions: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Missing,
    TooLarge,
    /// Neither CSV nor XLSX, or the content disagrees with the extension.
    WrongType,
    /// A CSV that is not UTF-8.
    Encoding,
    /// A CSV line that cannot be read (e.g. an unclosed quote).
    Malformed(i64),
    /// An XLSX that cannot be read.
    Unreadable,
    /// The header row lacks this column (its canonical name).
    MissingColumn(&'static str),
    Empty,
    TooMany,
}

impl FileError {
    /// i18n key of the message.
    pub fn key(&self) -> &'static str {
        match self {
            FileError::Missing => "provisioning.err_file_missing",
            FileError::TooLarge => "provisioning.err_file_size",
            FileError::WrongType => "provisioning.err_file_type",
            FileError::Encoding => "provisioning.err_csv_encoding",
            FileError::Malformed(_) => "provisioning.err_csv_malformed",
            FileError::Unreadable => "provisioning.err_xlsx_unreadable",
            FileError::MissingColumn(_) => "provisioning.err_column",
            FileError::Empty => "provisioning.err_empty",
            FileError::TooMany => "provisioning.err_too_many",
        }
    }
}

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Decides the file's type from its content and checks its name agrees.
pub fn sniff(name: &str, data: &[u8]) -> Result<Kind, FileError> {
    if data.is_empty() {
        return Err(FileError::Missing);
    }
    if data.len() > MAX_BYTES {
        return Err(FileError::TooLarge);
    }
    let ext = extension(name);
    if data.starts_with(b"PK\x03\x04") {
        return if ext == "xlsx" {
            Ok(Kind::Xlsx)
        } else {
            Err(FileError::WrongType)
        };
    }
    if ext != "csv" {
        return Err(FileError::WrongType);
    }
    const BINARY: &[&[u8]] = &[
        b"%PDF",
        b"\xD0\xCF\x11\xE0",
        b"\x89PNG",
        b"\xFF\xD8\xFF",
        b"GIF8",
        b"\x1F\x8B",
        b"Rar!",
        b"7z\xBC\xAF",
    ];
    if BINARY.iter().any(|m| data.starts_with(m)) || data.contains(&0) {
        return Err(FileError::WrongType);
    }
    let text = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if std::str::from_utf8(text).is_err() {
        return Err(FileError::Encoding);
    }
    Ok(Kind::Csv)
}

/// Reads the persons of a file (blank rows skipped).
pub fn read(name: &str, data: &[u8]) -> Result<(Kind, Vec<RawRow>), FileError> {
    let kind = sniff(name, data)?;
    let rows = match kind {
        Kind::Csv => csv_rows(data)?,
        Kind::Xlsx => xlsx_rows(data)?,
    };
    let persons = to_persons(rows)?;
    if persons.is_empty() {
        return Err(FileError::Empty);
    }
    if persons.len() > MAX_ROWS {
        return Err(FileError::TooMany);
    }
    Ok((kind, persons))
}

/// (row number, cells).
type Rows = Vec<(i64, Vec<String>)>;

fn csv_rows(data: &[u8]) -> Result<Rows, FileError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let first_line = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = if !first_line.contains(&b',') && first_line.contains(&b';') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data);
    let mut out: Rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // From the byte offset: the reader's own line count skips
                // blank lines.
                let line = record.position().map_or(0, |p| line_at(data, p.byte()));
                out.push((line, record.iter().map(str::to_string).collect()));
                if out.len() > MAX_ROWS + 1 + 1000 {
                    return Err(FileError::TooMany);
                }
            }
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| line_at(data, p.byte()))
                    .unwrap_or(out.last().map_or(1, |(l, _)| l + 1));
                return Err(match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => FileError::Encoding,
                    _ => FileError::Malformed(line),
                });
            }
        }
    }
    // An unclosed quote swallows the rest of the file into one field
    // without an error; no column of ours holds a line break.
    for (line, cells) in &out {
        if cells.iter().any(|c| c.contains('\n') || c.contains('\r')) {
            return Err(FileError::Malformed(*line));
        }
    }
    Ok(out)
}

/// The 1-based line where a record starting at a byte offset has its first
/// character (the reader counts blank lines before it into the record).
fn line_at(data: &[u8], byte: u64) -> i64 {
    let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(data.len());
    while end < data.len() && matches!(data[end], b'\n' | b'\r') {
        end += 1;
    }
    data[..end].iter().filter(|b| **b == b'\n').count() as i64 + 1
}

fn xlsx_rows(data: &[u8]) -> Result<Rows, FileError> {
    // Look inside the zip first: it must be a workbook, and not unpack to
    // more than we are willing to read.
    let mut zip = zip::ZipArchive::new(Cursor::new(data)).map_err(|_| FileError::WrongType)?;
    let mut unpacked = 0u64;
    let mut workbook = false;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|_| FileError::Unreadable)?;
        unpacked = unpacked.saturating_add(f.size());
        workbook |= f.name().is_ok_and(|n| n == "xl/workbook.xml");
    }
    if !workbook {
        return Err(FileError::WrongType);
    }
    if unpacked > MAX_UNPACKED || zip.len() > 2000 {
        return Err(FileError::TooLarge);
    }
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(data.to_vec())).map_err(|_| FileError::Unreadable)?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        _ => return Err(FileError::Unreadable),
    };
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut out = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let mut cells: Vec<String> = vec![String::new(); col0 as usize];
        for cell in row {
            cells.push(match cell {
                Data::String(s) => s.clone(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Int(n) => n.to_string(),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(d) => d.to_string(),
                Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Error(_) | Data::Empty => String::new(),
            });
        }
        out.push((i64::from(row0) + i as i64 + 1, cells));
        if out.len() > MAX_ROWS + 1 + 1000 {
            return Err(FileError::TooMany);
        }
    }
    Ok(out)
}

/// The canonical column names, in the default order.
pub const COLUMNS: [&str; 5] = ["ho_ten", "chuc_danh", "don_vi_cong_tac", "email", "quyen"];

/// Which column a header cell names, if any.
fn column_of(cell: &str) -> Option<usize> {
    let mut key: String = motcua_domain::text::fold(cell)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    while key.contains("__") {
        key = key.replace("__", "_");
    }
    let key = key.trim_matches('_');
    match key {
        "ho_ten" | "ho_va_ten" | "hoten" | "full_name" | "fullname" | "name" | "ten" => Some(0),
        "chuc_danh" | "chucdanh" | "chuc_vu" | "job_title" | "title" => Some(1),
        "don_vi_cong_tac" | "don_vi" | "donvi" | "work_unit" | "unit" => Some(2),
        "email" | "e_mail" | "thu_dien_tu" => Some(3),
        "quyen" | "quyen_han" | "permissions" | "chuc_nang" => Some(4),
        _ => None,
    }
}

fn to_persons(rows: Rows) -> Result<Vec<RawRow>, FileError> {
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .peekable();
    // A header row: at least two cells name known columns.
    let mut map: [Option<usize>; 5] = [Some(0), Some(1), Some(2), Some(3), Some(4)];
    if let Some((_, first)) = rows.peek() {
        let named: Vec<Option<usize>> = first.iter().map(|c| column_of(c)).collect();
        if named.iter().flatten().count() >= 2 {
            let mut m = [None; 5];
            for (i, col) in named.iter().enumerate() {
                if let Some(col) = col {
                    m[*col].get_or_insert(i);
                }
            }
            if let Some(missing) = m.iter().position(Option::is_none) {
                return Err(FileError::MissingColumn(COLUMNS[missing]));
            }
            map = m;
            rows.next();
        }
    }
    let cell = |cells: &[String], col: usize| -> String {
        map[col]
            .and_then(|i| cells.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    Ok(rows
        .map(|(row_no, cells)| RawRow {
            row_no,
            full_name: cell(&cells, 0),
            job_title: cell(&cells, 1),
            work_unit: cell(&cells, 2),
            email: cell(&cells, 3),
            permissions: cell(&cells, 4),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_vietnamese_header_and_bom() {
        let data = "\u{feff}Họ và tên,Chức danh,Đơn vị công tác,Email,Quyền\n\
                    Nguyễn Văn An,Chuyên viên,Vụ Kế hoạch,an@bct.gov.vn,tra_cuu;phe_duyet\n\
                    \n\
                    Trần Thị Bình,\"Trưởng phòng, Vụ\",Cục Xuất nhập khẩu,binh@bct.gov.vn,tra_cuu\n";
        let (kind, rows) = read("ds.csv", data.as_bytes()).unwrap();
        assert_eq!(kind, Kind::Csv);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row_no, 2);
        assert_eq!(rows[0].full_name, "Nguyễn Văn An");
        assert_eq!(rows[0].permissions, "tra_cuu;phe_duyet");
        assert_eq!(rows[1].row_no, 4);
        assert_eq!(rows[1].job_title, "Trưởng phòng, Vụ");
    }

    #[test]
    fn csv_without_header_in_fixed_order() {
        let rows = read("a.CSV", b"A,B,C,d@e.vn,x\n").unwrap().1;
        assert_eq!(rows[0].row_no, 1);
        assert_eq!(rows[0].work_unit, "C");
    }

    #[test]
    fn header_in_any_order_and_english() {
        let data = "email,full_name,permissions,work_unit,job_title\nd@e.vn,An,x,U,T\n";
        let rows = read("a.csv", data.as_bytes()).unwrap().1;
        assert_eq!(rows[0].full_name, "An");
        assert_eq!(rows[0].email, "d@e.vn");
        assert_eq!(rows[0].job_title, "T");
        assert_eq!(
            read("a.csv", b"ho_ten,email\nA,b@c.vn\n"),
            Err(FileError::MissingColumn("chuc_danh"))
        );
    }

    #[test]
    fn semicolon_separated() {
        let rows = read(
            "a.csv",
            "ho_ten;chuc_danh;don_vi_cong_tac;email;quyen\nA;B;C;d@e.vn;x y\n".as_bytes(),
        )
        .unwrap()
        .1;
        assert_eq!(rows[0].permissions, "x y");
    }

    #[test]
    fn type_by_content() {
        assert_eq!(sniff("a.csv", b"%PDF-1.7\n"), Err(FileError::WrongType));
        assert_eq!(sniff("a.xlsx", b"a,b,c\n"), Err(FileError::WrongType));
        assert_eq!(sniff("a.csv", b"PK\x03\x04rest"), Err(FileError::WrongType));
        assert_eq!(sniff("a.txt", b"a,b\n"), Err(FileError::WrongType));
        assert_eq!(sniff("a.csv", b"H\xe0 N\xf4i\n"), Err(FileError::Encoding));
        assert_eq!(sniff("a.csv", b""), Err(FileError::Missing));
        assert_eq!(
            sniff("a.csv", &vec![b'a'; MAX_BYTES + 1]),
            Err(FileError::TooLarge)
        );
        // A zip that is not a workbook.
        assert_eq!(
            read("a.xlsx", b"PK\x03\x04garbage").map(|r| r.0),
            Err(FileError::WrongType)
        );
    }

    #[test]
    fn unclosed_quote_is_malformed() {
        let data = "ho_ten,chuc_danh,don_vi_cong_tac,email,quyen\nA,B,C,d@e.vn,x\n\"B,C,D,e@f.vn,x\nC,D,E,f@g.vn,x\n";
        assert_eq!(read("a.csv", data.as_bytes()), Err(FileError::Malformed(3)));
    }

    #[test]
    fn header_cells() {
        assert_eq!(column_of("Họ và tên"), Some(0));
        assert_eq!(column_of(" ĐƠN VỊ CÔNG TÁC "), Some(2));
        assert_eq!(column_of("don_vi_cong_tac"), Some(2));
        assert_eq!(column_of("E-mail"), Some(3));
        assert_eq!(column_of("Quyền"), Some(4));
        assert_eq!(column_of("Ghi chú"), None);
    }
}
