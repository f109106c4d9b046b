//! Shared response fixtures.

pub const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
pub const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

/// Wraps a body the way Exchange Online does (header with ServerVersionInfo, xsi/xsd on Body).
pub fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="20" MajorBuildNumber="8769" MinorBuildNumber="21" Version="V2018_01_08" xmlns:h="{T}" xmlns="{T}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"/></s:Header><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">{body}</s:Body></s:Envelope>"#
    )
}
