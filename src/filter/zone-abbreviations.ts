/**
 * UTC offsets of the time zone abbreviations logs write (`[PDT Apr 16
 * 21:05:29]`, monit), in hours, the set fail2ban reads. Each is a fixed
 * offset: CET is +1 in summer too (a log that means summer time writes CEST).
 * Some abbreviations stand for more than one zone (IST, CST); these are the
 * readings fail2ban takes.
 */
const ZONES_BY_OFFSET: Array<[hours: number, names: string]> = [
  [-12, 'Y'],
  [-11, 'X NUT SST'],
  [-10, 'W CKT HAST HST TAHT TKT'],
  [-9.5, 'MART MIT'],
  [-9, 'V AKST GAMT GIT HADT HNY'],
  [-8, 'U AKDT CIST HAY HNP PST PT'],
  [-7, 'T HAP HNR MST PDT'],
  [-6, 'S CST EAST GALT HAR HNC MDT'],
  [-5, 'R CDT COT EASST ECT EST ET HAC HNE PET'],
  [-4.5, 'HLV VET'],
  [-4, 'Q AST BOT CLT COST EDT FKT GYT HAE HNA PYT'],
  [-3.5, 'HNT NST NT'],
  [-3, 'P ADT ART BRT CLST FKST GFT HAA PMST PYST SRT UYT WGT'],
  [-2.5, 'HAT NDT'],
  [-2, 'O BRST FNT PMDT UYST WGST'],
  [-1, 'N AZOT CVT EGT'],
  [0, 'Z EGST GMT UTC WET WT'],
  [1, 'A CET DFT WAT WEDT WEST'],
  [2, 'B CAT CEDT CEST EET SAST WAST'],
  [3, 'C EAT EEDT EEST IDT MSK'],
  [3.5, 'IRST'],
  [4, 'D AMT AZT GET GST KUYT MSD MUT RET SAMT SCT'],
  [4.5, 'AFT IRDT'],
  [5, 'E AMST AQTT AZST HMT MAWT MVT PKT TFT TJT TMT UZT YEKT'],
  [5.5, 'SLT'],
  [5.75, 'NPT'],
  [6, 'F ALMT BIOT BTT IOT KGT NOVT OMST YEKST'],
  [6.5, 'CCT MMT'],
  [7, 'G CXT DAVT HOVT ICT KRAT NOVST OMSST THA WIB'],
  [8, 'H ACT AWST BDT BNT CAST HKT IRKT KRAST MYT PHT SGT ULAT WITA WST'],
  [9, 'I AWDT IRKST JST KST PWT TLT WDT WIT YAKT'],
  [9.5, 'ACST'],
  [10, 'K AEST ChST PGT VLAT YAKST YAPT'],
  [10.5, 'ACDT LHST'],
  [11, 'L AEDT LHDT MAGT NCT PONT SBT VLAST VUT'],
  [11.5, 'NFT'],
  [12, 'M ANAST ANAT FJT GILT MAGST MHT NZST PETST PETT TVT WFT'],
  [13, 'FJST NZDT'],
];

const MINUTES = new Map<string, number>();
for (const [hours, names] of ZONES_BY_OFFSET) for (const n of names.split(' ')) MINUTES.set(n.toUpperCase(), Math.round(hours * 60));

/** The abbreviation's offset from UTC in minutes (any case), or undefined for one not in the table. */
export function zoneOffsetMinutes(abbreviation: string): number | undefined {
  return MINUTES.get(abbreviation.toUpperCase());
}
