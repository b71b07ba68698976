//! Synthetic citizens for the scale bench (issue #7): `motcua bench
//! --scale N` loads N of them and times the console's search at that size.
//!
//! Names follow the shape of the population rather than a uniform draw,
//! because the search's cost depends on how common a word is:
//! - family names with their approximate shares in Vietnam (Nguyễn about
//!   38 %, Trần 11 %, Lê 9.5 %, … and a tail of rarer ones);
//! - a middle name by sex (Văn for about a third of men, Thị for about
//!   four women in ten, then a spread of others), a second middle name for
//!   one in five;
//! - given names with a long-tailed (Zipf-like) frequency: An, Anh, Minh
//!   and Linh are frequent, the tail is long.
//!
//! Every account has unique identifiers (username, personal ID, phone and,
//! for the seven in ten who give one, email; a tax code for one in ten).
//! The draw is deterministic for a seed: the same N gives the same rows, so
//! figures from two runs describe the same data.
use crate::store::accounts::{BulkAccount, NewAccount};
use motcua_domain::account::AccountStatus;
use motcua_domain::text::fold;
use motcua_domain::{Millis, Role, DAY};

/// Family names and their approximate share of the population (per
/// thousand); the rest share the remainder evenly.
const FAMILY: &[(&str, u32)] = &[
    ("Nguyễn", 384),
    ("Trần", 112),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 41),
    ("Huỳnh", 10),
    ("Phan", 45),
    ("Vũ", 29),
    ("Võ", 10),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
];
const FAMILY_TAIL: &[&str] = &[
    "Đinh", "Trương", "Lâm", "Mai", "Đoàn", "Cao", "Lương", "Tạ", "Hà", "Tô", "Triệu", "Quách",
    "Kiều", "Khúc", "Thái", "Lưu", "Châu", "Tăng", "Từ", "Diệp", "Âu", "Ông", "La", "Mạc",
];

const MIDDLE_MEN: &[(&str, u32)] = &[
    ("Văn", 340),
    ("Đức", 80),
    ("Minh", 80),
    ("Quang", 60),
    ("Hữu", 60),
    ("Thanh", 50),
    ("Xuân", 40),
    ("Công", 40),
    ("Quốc", 35),
    ("Thế", 30),
    ("Đình", 30),
    ("Ngọc", 30),
    ("Hoàng", 30),
    ("Anh", 25),
    ("Tuấn", 20),
    ("Trung", 20),
    ("Mạnh", 15),
    ("Gia", 15),
];
const MIDDLE_WOMEN: &[(&str, u32)] = &[
    ("Thị", 420),
    ("Ngọc", 80),
    ("Thu", 60),
    ("Thanh", 60),
    ("Minh", 50),
    ("Phương", 40),
    ("Hồng", 40),
    ("Kim", 30),
    ("Mai", 30),
    ("Bảo", 30),
    ("Khánh", 30),
    ("Hoài", 20),
    ("Diệu", 20),
    ("Thảo", 20),
    ("Quỳnh", 20),
    ("Như", 20),
];
/// Given names, most frequent first (drawn with weight 1 / (rank + 3)).
const GIVEN_MEN: &[&str] = &[
    "Anh", "Minh", "Huy", "Hùng", "Dũng", "Tuấn", "Nam", "Đức", "Long", "Hải", "Sơn", "Thắng",
    "Cường", "Quân", "Phong", "Trung", "Hiếu", "Khánh", "Thành", "Tùng", "Bình", "Việt", "An",
    "Hoàng", "Vinh", "Phúc", "Kiên", "Khoa", "Tài", "Đạt", "Hưng", "Lâm", "Lộc", "Bảo", "Duy",
    "Tiến", "Toàn", "Nghĩa", "Quang", "Tâm", "Thịnh", "Trí", "Tú", "Vũ", "Đông", "Giang", "Hậu",
    "Kha", "Luân", "Nhân", "Phát", "Quý", "Sang", "Thái", "Thiện", "Tín", "Triều", "Vĩ", "Xuân",
    "Yên", "Đô", "Lễ", "Vy",
];
const GIVEN_WOMEN: &[&str] = &[
    "Linh",
    "Anh",
    "Trang",
    "Hương",
    "Hà",
    "Ngọc",
    "Thảo",
    "Phương",
    "Huyền",
    "Lan",
    "Mai",
    "Hằng",
    "Hoa",
    "Nhung",
    "Yến",
    "Thủy",
    "Vân",
    "Hạnh",
    "Giang",
    "Dung",
    "Nga",
    "Hiền",
    "Loan",
    "Trinh",
    "Chi",
    "My",
    "Nhi",
    "Vy",
    "Tâm",
    "Thu",
    "Uyên",
    "Quỳnh",
    "Oanh",
    "Liên",
    "Tuyết",
    "Hồng",
    "Quyên",
    "Châu",
    "Diệp",
    "Hân",
    "Khuê",
    "Lụa",
    "Ngân",
    "Nhàn",
    "Phượng",
    "Sen",
    "Thư",
    "Thoa",
    "Trâm",
    "Xuyến",
    "Ánh",
    "Bích",
    "Cúc",
    "Đào",
    "Gấm",
    "Hậu",
    "Kiều",
    "Lệ",
    "An",
    "Ly",
    "Tú",
];
const MAIL_DOMAINS: &[(&str, u32)] = &[
    ("gmail.com", 700),
    ("yahoo.com", 120),
    ("outlook.com", 60),
    ("icloud.com", 40),
    ("vnpt.vn", 30),
    ("fpt.vn", 30),
    ("viettel.vn", 20),
];

/// splitmix64: small, fast and good enough to shape test data.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn weighted<'a>(&mut self, table: &[(&'a str, u32)], rest: u32, tail: &[&'a str]) -> &'a str {
        let total: u32 = table.iter().map(|(_, w)| w).sum::<u32>() + rest;
        let mut x = self.below(u64::from(total)) as u32;
        for (name, w) in table {
            if x < *w {
                return name;
            }
            x -= w;
        }
        tail[self.below(tail.len() as u64) as usize]
    }
    fn zipf<'a>(&mut self, names: &[&'a str]) -> &'a str {
        // Weight 1 / (rank + 3), drawn by inverting the cumulative sum.
        let total: f64 = (0..names.len()).map(|r| 1.0 / (r as f64 + 3.0)).sum();
        let mut x = (self.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
        for (r, name) in names.iter().enumerate() {
            x -= 1.0 / (r as f64 + 3.0);
            if x <= 0.0 {
                return name;
            }
        }
        names[names.len() - 1]
    }
}

/// The `i`-th synthetic citizen of the set made with `seed`, created
/// within the five years before `now`.
pub fn citizen(seed: u64, i: u64, now: Millis) -> BulkAccount {
    let mut r = Rng(seed ^ i.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let woman = r.below(2) == 0;
    let family = r.weighted(
        FAMILY,
        1000 - FAMILY.iter().map(|(_, w)| w).sum::<u32>(),
        FAMILY_TAIL,
    );
    let (middle, given) = if woman {
        (r.weighted(MIDDLE_WOMEN, 0, &[]), r.zipf(GIVEN_WOMEN))
    } else {
        (r.weighted(MIDDLE_MEN, 0, &[]), r.zipf(GIVEN_MEN))
    };
    let second = if r.below(5) == 0 {
        let m = if woman {
            r.weighted(MIDDLE_WOMEN, 0, &[])
        } else {
            r.weighted(MIDDLE_MEN, 0, &[])
        };
        if m == middle {
            String::new()
        } else {
            format!(" {m}")
        }
    } else {
        String::new()
    };
    let full_name = format!("{family} {middle}{second} {given}");
    let plain = fold(&full_name).replace(' ', "");
    // Personal ID: province code, then a serial unique per i.
    let province = 1 + r.below(96);
    let personal_id = format!("{province:03}{:09}", i % 1_000_000_000);
    let phone = format!("09{:08}", i % 100_000_000);
    let email = (r.below(10) < 7).then(|| {
        let d = r.weighted(MAIL_DOMAINS, 0, &[]);
        format!("{plain}.{i}@{d}")
    });
    let tax_code = (r.below(10) == 0).then(|| format!("8{:09}", i % 1_000_000_000));
    let created_at = now - 1 - r.below(5 * 365) as i64 * DAY - r.below(DAY as u64) as i64;
    // One in five never logged in; the others last did so since creation.
    let last_used_at = if r.below(5) == 0 {
        created_at
    } else {
        created_at + r.below((now - created_at).max(1) as u64) as i64
    };
    let status = match r.below(100) {
        0 => AccountStatus::Locked,
        1 => AccountStatus::Revoked,
        _ => AccountStatus::Active,
    };
    BulkAccount {
        account: NewAccount {
            username: format!("{plain}.{i}"),
            full_name,
            email,
            phone: Some(phone),
            tax_code,
            personal_id: Some(personal_id),
            locale: "vi".into(),
            roles: vec![Role::Citizen],
        },
        status,
        created_at,
        last_used_at,
    }
}

/// Loads citizens `0..n` of the set made with `seed` (the scale bench)
/// through the bulk load; returns how many.
pub async fn load(
    store: &motcua_store::Store,
    url: &str,
    seed: u64,
    n: u64,
    now: Millis,
) -> motcua_store::Result<u64> {
    crate::store::accounts::bulk_load(store, url, (0..n).map(|i| citizen(seed, i, now))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_800_000_000_000;

    #[test]
    fn the_draw_is_deterministic_unique_and_shaped_like_the_population() {
        assert_eq!(
            citizen(7, 42, NOW).account.full_name,
            citizen(7, 42, NOW).account.full_name
        );
        let n = 20_000u64;
        let rows: Vec<_> = (0..n).map(|i| citizen(7, i, NOW)).collect();
        let mut ids: Vec<_> = rows.iter().map(|r| r.account.personal_id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len() as u64, n, "personal IDs are unique");
        let mut users: Vec<_> = rows.iter().map(|r| r.account.username.clone()).collect();
        users.sort();
        users.dedup();
        assert_eq!(users.len() as u64, n, "usernames are unique");
        let share = |f: &dyn Fn(&BulkAccount) -> bool| {
            rows.iter().filter(|r| f(r)).count() as f64 / n as f64
        };
        let nguyen = share(&|r| r.account.full_name.starts_with("Nguyễn "));
        assert!((0.35..0.42).contains(&nguyen), "Nguyễn: {nguyen}");
        let van = share(&|r| r.account.full_name.split(' ').nth(1) == Some("Văn"));
        assert!((0.13..0.21).contains(&van), "Văn: {van}");
        let an = share(&|r| r.account.full_name.ends_with(" An"));
        assert!((0.003..0.05).contains(&an), "An: {an}");
        let email = share(&|r| r.account.email.is_some());
        assert!((0.65..0.75).contains(&email), "email: {email}");
        assert!(rows
            .iter()
            .all(|r| r.created_at < NOW && r.last_used_at >= r.created_at && r.last_used_at < NOW));
    }
}
