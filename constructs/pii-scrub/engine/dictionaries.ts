/**
 * Bundled dictionaries of the `pseudonym` strategy, as TypeScript so the Lambda bundle needs no
 * files at runtime. Words are plain ASCII (so they fit any character set), unique within a list,
 * without spaces in first and last names (verify-only splits full names on the first space).
 *
 * Changing a list changes the output of every pseudonym: bump ENGINE_VERSION when you do.
 */

/** Given names. */
export const FIRST_NAMES: readonly string[] = [
  'Aaron', 'Abigail', 'Adrian', 'Agnes', 'Aiden', 'Alana', 'Albert', 'Alice', 'Alma', 'Amos', 'Anders',
  'Andrea', 'Angela', 'Anita', 'Arthur', 'Astrid', 'Audrey', 'August', 'Aurora', 'Austin', 'Barbara',
  'Basil', 'Beatrice', 'Benedict', 'Bernard', 'Bertha', 'Blair', 'Bonnie', 'Bradley', 'Brenda', 'Bruno',
  'Caleb', 'Camila', 'Carla', 'Carmen', 'Cecil', 'Celia', 'Chester', 'Clara', 'Claude', 'Clifford',
  'Colette', 'Cora', 'Cornelius', 'Daisy', 'Damian', 'Daphne', 'Darius', 'Delia', 'Dennis', 'Dexter',
  'Dolores', 'Dominic', 'Dora', 'Edgar', 'Edith', 'Edmund', 'Elena', 'Elias', 'Eliza', 'Elmer', 'Elsa',
  'Emil', 'Enid', 'Ernest', 'Esther', 'Eugene', 'Eva', 'Evelyn', 'Felix', 'Fern', 'Fiona', 'Floyd',
  'Frances', 'Gareth', 'Gemma', 'Gideon', 'Gilbert', 'Gloria', 'Gordon', 'Greta', 'Gwen', 'Harold',
  'Harriet', 'Hazel', 'Hector', 'Helena', 'Henrietta', 'Horace', 'Hugo', 'Ida', 'Ignatius', 'Imogen',
  'Ingrid', 'Irene', 'Isaac', 'Ivan', 'Ivy', 'Jasper', 'Jocelyn', 'Josephine', 'Jude', 'Julian', 'Juniper',
  'Keith', 'Kendra', 'Kurt', 'Lars', 'Laurel', 'Leander', 'Leona', 'Leopold', 'Lillian', 'Linus', 'Lorna',
  'Lucian', 'Lydia', 'Mabel', 'Malcolm', 'Marcel', 'Margot', 'Marvin', 'Matilda', 'Maxine', 'Mervin', 'Milo',
  'Miriam', 'Monty', 'Muriel', 'Nadia', 'Nell', 'Nestor', 'Nigel', 'Nina', 'Noel', 'Nora', 'Octavia',
  'Olive', 'Oscar', 'Otis', 'Pearl', 'Percy', 'Petra', 'Philippa', 'Phineas', 'Quentin', 'Quincy', 'Rafael',
  'Ramona', 'Reuben', 'Rhoda', 'Roland', 'Rosalind', 'Rufus', 'Ruth', 'Sabine', 'Salma', 'Silas', 'Simone',
  'Stanley', 'Stella', 'Sybil', 'Tabitha', 'Thaddeus', 'Thea', 'Theodore', 'Tobias', 'Ursula', 'Valentin',
  'Vera', 'Vernon', 'Viola', 'Virgil', 'Walter', 'Wanda', 'Wendell', 'Wilma', 'Winston', 'Xavier', 'Yvette',
  'Yvonne', 'Zachary', 'Zelda',
];

/** Family names. */
export const LAST_NAMES: readonly string[] = [
  'Abbott', 'Ackerly', 'Alder', 'Ashdown', 'Atwood', 'Babcock', 'Bancroft', 'Barlow', 'Beckett', 'Bellamy',
  'Birchall', 'Blackwood', 'Bramble', 'Brightwater', 'Brockman', 'Burrows', 'Calloway', 'Carver', 'Chadwick',
  'Cobb', 'Colfax', 'Copperfield', 'Crabtree', 'Crane', 'Cromwell', 'Dalton', 'Darrow', 'Dempsey', 'Draper',
  'Dunmore', 'Eastwick', 'Eldridge', 'Ellery', 'Emberly', 'Everhart', 'Fairbanks', 'Falconer', 'Farrow',
  'Fenwick', 'Fielding', 'Fletcher', 'Foxley', 'Fulton', 'Gable', 'Galloway', 'Garland', 'Gilmore',
  'Goodwin', 'Granger', 'Greaves', 'Hadley', 'Halloway', 'Hartwell', 'Hastings', 'Hawthorne', 'Heathcote',
  'Holloway', 'Hornby', 'Huxley', 'Ingram', 'Ironside', 'Jarvis', 'Jessup', 'Kendrick', 'Kingsley',
  'Kirkwood', 'Lachlan', 'Langley', 'Larkin', 'Lockwood', 'Lowell', 'Ludlow', 'Maddox', 'Marchbank',
  'Marlowe', 'Merriweather', 'Middleton', 'Montague', 'Morland', 'Nettleton', 'Norcross', 'Northam',
  'Oakley', 'Ogden', 'Osgood', 'Pemberton', 'Penhallow', 'Pickering', 'Prescott', 'Quill', 'Radcliffe',
  'Ramsbottom', 'Redfern', 'Ridley', 'Rookwood', 'Rowntree', 'Sackville', 'Salter', 'Seabrook', 'Selwyn',
  'Shackleton', 'Sherwood', 'Silverton', 'Southgate', 'Stanhope', 'Sterling', 'Stockwell', 'Summerfield',
  'Sutcliffe', 'Tanner', 'Thackeray', 'Thornbury', 'Threlkeld', 'Tolliver', 'Trelawney', 'Tremaine',
  'Underhill', 'Upton', 'Vance', 'Vickery', 'Wainwright', 'Wakefield', 'Walcott', 'Warrington', 'Westbrook',
  'Whitlock', 'Wilberforce', 'Winslow', 'Woodhouse', 'Wrexley', 'Yardley', 'Yarrow', 'Yelland', 'Zeller',
];

/** Invented town names. */
export const CITIES: readonly string[] = [
  'Alderbrook', 'Amberford', 'Ashcombe', 'Bellhaven', 'Birchmoor', 'Blackwater', 'Bramblewick', 'Briarton',
  'Brookfield', 'Calderwood', 'Cedarhollow', 'Clearwater', 'Coldharbour', 'Copperton', 'Cresthaven',
  'Dalebrook', 'Deepwell', 'Dunhollow', 'Eastmere', 'Elmsworth', 'Fairhaven', 'Fallowmere', 'Fernbridge',
  'Foxhollow', 'Glenmoor', 'Goldcrest', 'Greenholt', 'Harrowgate', 'Hazelbury', 'Highmoor', 'Hollowell',
  'Ironbridge', 'Ivywood', 'Kestrelton', 'Kingsmere', 'Lakemont', 'Larchfield', 'Littlebrook', 'Longmere',
  'Maplecross', 'Marshfield', 'Meadowvale', 'Millbrook', 'Moorcroft', 'Northwick', 'Oakhaven', 'Oldcastle',
  'Pinecrest', 'Quarryton', 'Ravensworth', 'Redcliff', 'Riverside', 'Rosewood', 'Saltmarsh', 'Shadowbrook',
  'Silverdale', 'Southmere', 'Stonebridge', 'Summerton', 'Swanmere', 'Thornfield', 'Timberly', 'Underwood',
  'Valemont', 'Westerly', 'Whitecliff', 'Willowmere', 'Windhaven', 'Wolfstead', 'Woodcombe', 'Yarrowfield',
];

/** Street names (a house number is added). */
export const STREETS: readonly string[] = [
  'Acacia Avenue', 'Alder Lane', 'Amber Row', 'Ash Grove', 'Aspen Way', 'Beech Road', 'Bell Street',
  'Birch Close', 'Bluebell Walk', 'Bramble Lane', 'Brook Street', 'Cedar Drive', 'Chapel Row', 'Cherry Lane',
  'Church Walk', 'Clover Close', 'Copper Lane', 'Crescent Road', 'Daisy Lane', 'Elm Street', 'Fern Avenue',
  'Field Lane', 'Foxglove Way', 'Garden Row', 'Glebe Road', 'Hawthorn Close', 'Hazel Grove', 'Heather Drive',
  'Holly Lane', 'Ivy Terrace', 'Juniper Way', 'Kiln Lane', 'Laburnum Grove', 'Larch Road', 'Laurel Avenue',
  'Lavender Walk', 'Lilac Close', 'Linden Street', 'Maple Drive', 'Market Street', 'Meadow Lane',
  'Mill Road', 'Myrtle Row', 'Oak Avenue', 'Orchard Way', 'Park Crescent', 'Pear Tree Lane', 'Pine Road',
  'Poplar Close', 'Primrose Hill Road', 'Quarry Lane', 'Rectory Lane', 'Rose Court', 'Rowan Way',
  'Sage Street', 'School Lane', 'Sorrel Close', 'Spring Gardens', 'Station Road', 'Sycamore Avenue',
  'Thistle Way', 'Thorn Lane', 'Tulip Court', 'Valley Road', 'Vicarage Close', 'Violet Lane', 'Walnut Grove',
  'Water Lane', 'Well Street', 'Willow Road', 'Wisteria Way', 'Yew Tree Close',
];
