// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title UtcDate
/// @notice Converts between unix timestamps and calendar dates written as YYYYMMDD integers, the form
/// the circuit uses for `today` and `validUntil` (docs/protocol.md, "Dates on-chain").
/// @dev Proleptic Gregorian calendar in UTC, days counted from 1970-01-01 with the era arithmetic of
/// H. Hinnant's "chrono-compatible low-level date algorithms" (written here from the description).
/// Only dates from 1970-01-01 to 2999-12-31 are accepted, the range the credentials encode.
library UtcDate {
    /// @notice A YYYYMMDD value that is not a real calendar date in the supported range.
    error InvalidDate(uint256 yyyymmdd);

    uint256 internal constant SECONDS_PER_DAY = 86400;
    // Days from 0000-03-01 (the era origin) to 1970-01-01.
    uint256 private constant EPOCH_OFFSET_DAYS = 719468;

    /// @notice The UTC calendar date (YYYYMMDD) containing `timestamp`.
    function toDate(uint256 timestamp) internal pure returns (uint32) {
        unchecked {
            uint256 z = timestamp / SECONDS_PER_DAY + EPOCH_OFFSET_DAYS;
            uint256 era = z / 146097;
            uint256 doe = z - era * 146097; // day of era, 0..146096
            uint256 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; // year of era
            uint256 doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year
            uint256 mp = (5 * doy + 2) / 153; // month, March = 0
            uint256 day = doy - (153 * mp + 2) / 5 + 1;
            uint256 month = mp < 10 ? mp + 3 : mp - 9;
            uint256 year = yoe + era * 400 + (month <= 2 ? 1 : 0);
            return uint32(year * 10000 + month * 100 + day);
        }
    }

    /// @notice The timestamp of 00:00:00 UTC on `yyyymmdd`; reverts with {InvalidDate} for a value
    /// that is not a calendar date between 1970-01-01 and 2999-12-31.
    function toTimestamp(uint256 yyyymmdd) internal pure returns (uint256) {
        uint256 year = yyyymmdd / 10000;
        uint256 month = (yyyymmdd / 100) % 100;
        uint256 day = yyyymmdd % 100;
        if (year < 1970 || year > 2999 || month == 0 || month > 12 || day == 0 || day > daysInMonth(year, month)) {
            revert InvalidDate(yyyymmdd);
        }
        unchecked {
            uint256 y = month <= 2 ? year - 1 : year;
            uint256 era = y / 400;
            uint256 yoe = y - era * 400;
            uint256 doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
            uint256 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            return (era * 146097 + doe - EPOCH_OFFSET_DAYS) * SECONDS_PER_DAY;
        }
    }

    /// @notice The date before `yyyymmdd` (which must be a valid date).
    function previousDay(uint256 yyyymmdd) internal pure returns (uint32) {
        return toDate(toTimestamp(yyyymmdd) - SECONDS_PER_DAY);
    }

    function daysInMonth(uint256 year, uint256 month) internal pure returns (uint256) {
        if (month == 2) {
            bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            return leap ? 29 : 28;
        }
        return (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
    }
}
