/* index_info_fixture.h - the index info table of the original data set, for
 * the unit tests of replay.c and index_info.c (header-only: each test is one
 * translation unit). */
#ifndef TICKLAKE_TEST_INDEX_INFO_FIXTURE_H
#define TICKLAKE_TEST_INDEX_INFO_FIXTURE_H

#include <string.h>

#include "index_info.h"
#include "testlib.h"

/* indexInfo.csv of the original data set, byte for byte (BOM, CRLF). */
static const char INDEX_INFO[] = "\xEF\xBB\xBFRegion,Exchange,Index,Currency\r\n"
                                 "United States,New York Stock Exchange,NYA,USD\r\n"
                                 "United States,NASDAQ,IXIC,USD\r\n"
                                 "Hong Kong,Hong Kong Stock Exchange,HSI,HKD\r\n"
                                 "China,Shanghai Stock Exchange,000001.SS,CNY\r\n"
                                 "Japan,Tokyo Stock Exchange,N225,JPY\r\n"
                                 "Europe,Euronext,N100,EUR\r\n"
                                 "China,Shenzhen Stock Exchange,399001.SZ,CNY\r\n"
                                 "Canada,Toronto Stock Exchange,GSPTSE,CAD\r\n"
                                 "India,National Stock Exchange of India,NSEI,INR\r\n"
                                 "Germany,Frankfurt Stock Exchange,GDAXI,EUR\r\n"
                                 "Korea,Korea Exchange,KS11,KRW\r\n"
                                 "Switzerland,SIX Swiss Exchange,SSMI,CHF\r\n"
                                 "Taiwan,Taiwan Stock Exchange,TWII,TWD\r\n"
                                 "South Africa,Johannesburg Stock Exchange,J203.JO,ZAR\r\n";

static index_info load_info(void)
{
    index_info t = {0};
    char err[256];
    CHECK(index_info_load(&t, "indexInfo.csv", INDEX_INFO, strlen(INDEX_INFO), err, sizeof(err)) ==
          0);
    return t;
}

#endif
