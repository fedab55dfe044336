/* civil.h - the proleptic Gregorian calendar: days since 1970-01-01 to and
 * from a year, month and day (Howard Hinnant's algorithms, exact for any day
 * whose year fits in an int64), leap years and month lengths. Pure. */
#ifndef TICKLAKE_CIVIL_H
#define TICKLAKE_CIVIL_H

#include <stdint.h>

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31); a day
 * beyond its month's end counts on into the next month. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
/* The date of days since 1970-01-01: year, month 1..12, day 1..31. */
void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* 1 if y is a leap year (every 4th, except centuries not divisible by 400). */
int civil_is_leap(int64_t y);
/* The number of days of month m (1..12) of year y, 28..31; 0 when m is not a
 * month. */
unsigned civil_month_days(int64_t y, int64_t m);

#endif
