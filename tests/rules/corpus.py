"""Hand-written parent chat messages for a school unlike the development set's.

The roster (Oakfield Primary) deliberately has surnames that are everyday words (Brown, Wood,
King, Young, Hill, Green) so that the tests exercise the person-context rules. Every case is
(text, categories that must be reported, staff ids that must be reported). Negatives are
(text,). These are not the development set: they are paraphrases written to check that the
rules generalise.
"""

from __future__ import annotations

from rules import SchoolProfile, StaffMember

STAFF = (
    StaffMember("patel", "Mrs", "Anita", "Patel", ("headteacher", "head"), ("Mrs P",)),
    StaffMember("brown", "Mr", "Tom", "Brown", ("year 4 teacher",)),
    StaffMember("wood", "Miss", "Chloe", "Wood", ("reception teacher",)),
    StaffMember("king", "Mr", "Robert", "King", ("deputy head",)),
    StaffMember("young", "Mrs", "Sarah", "Young", ("SENCo",)),
    StaffMember("hill", "Mr", "Gareth", "Hill", ("PE teacher",)),
    StaffMember("oneill", "Ms", "Niamh", "O'Neill", ("teaching assistant",)),
    StaffMember("green", "Mrs", "Janet", "Green", ("office manager",)),
    StaffMember("kowalski", "Mr", "Piotr", "Kowalski", ("year 6 teacher",)),
)
PUPILS = ("Oliver", "Grace", "Will", "Amelia", "Jack", "Rose")


def oakfield() -> SchoolProfile:
    return SchoolProfile.build("oakfield", STAFF, PUPILS)


Positive = tuple[str, tuple[str, ...], tuple[str, ...]]

ABUSE: list[Positive] = [
    ("you're such a pathetic excuse for a mother", ("abuse",), ()),
    ("Honestly Karen you are thick as two short planks", ("abuse",), ()),
    ("whoever parked across the dropped kerb is a selfish cow", ("abuse",), ()),
    ("her husband is an absolute knob", ("abuse",), ()),
    ("shut up you stupid woman", ("abuse",), ()),
    ("What an idiot", ("abuse",), ()),
    ("Stop being such a tw@t", ("abuse",), ()),
    ("u r a b1tch", ("abuse",), ()),
    ("f*** off Sharon nobody asked you", ("abuse",), ()),
    ("fuck off and mind your own", ("abuse",), ()),
    ("she's a complete sl*g", ("abuse",), ()),
    ("w a n k e r", ("abuse",), ()),
    ("you're a disgrace of a parent", ("abuse",), ()),
    ("what a loser", ("abuse",), ()),
    ("IDIOOOOT", ("abuse",), ()),
    ("stuuuupid woman", ("abuse",), ()),
    ("Some of the mums on here are so two faced", ("abuse",), ()),
    ("nobody likes you Lisa, take the hint", ("abuse",), ()),
    ("No wonder your son has no friends", ("abuse",), ()),
    ("crap parenting, plain and simple", ("abuse",), ()),
    ("you're pathetic", ("abuse",), ()),
    ("She is vile", ("abuse",), ()),
    ("That dad by the gate is a right plonker", ("abuse",), ()),
    ("Go crawl back under your rock", ("abuse",), ()),
    ("you absolute mug", ("abuse",), ()),
    ("what a c\u200bu\u200bn\u200bt", ("abuse",), ()),
    ("ѕtupid сow", ("abuse",), ()),
    ("get lost, no one wants your opinion here", ("abuse",), ()),
    ("what a useless waste of oxygen", ("abuse",), ()),
    ("call yourself a mother?", ("abuse",), ()),
]

THREAT: list[Positive] = [
    ("I'm going to punch her in the face at pick up", ("threat",), ()),
    ("If she says that again I swear I'll slap her", ("threat",), ()),
    ("he'd better watch his back", ("threat",), ()),
    ("I know where she lives", ("threat",), ()),
    ("I'll smash his car windows in", ("threat",), ()),
    ("someone needs to give that kid a good hiding", ("threat",), ()),
    ("that woman deserves a slap", ("threat",), ()),
    ("go kill yourself", ("threat",), ()),
    ("k y s", ("threat",), ()),
    ("I'll batter him when I see him", ("threat",), ()),
    ("they'll get what's coming to them", ("threat",), ()),
    ("gonna key her car tonight", ("threat",), ()),
    ("you won't know what hit you", ("threat",), ()),
    ("Mr Brown better watch his back", ("threat", "staff"), ("brown",)),
    ("I'll knock the deputy head's teeth out", ("threat", "staff"), ("king",)),
    ("Let's all go round Mrs Patel's house and sort this out", ("threat", "staff"), ("patel",)),
    ("hope she gets run over", ("threat",), ()),
]

DISCRIMINATION: list[Positive] = [
    ("there are far too many immigrants at this school now", ("discrimination",), ()),
    ("bloody gypsies have moved onto the field again, lock your sheds", ("discrimination",), ()),
    ("that's so gay lol", ("discrimination",), ()),
    ("her lad is a total sp@stic", ("discrimination",), ()),
    ("r e t a r d", ("discrimination",), ()),
    ("the new teacher is a poof", ("discrimination",), ()),
    ("Go back to your own country", ("discrimination",), ()),
    ("They can't even speak English", ("discrimination",), ()),
    ("Muslims are all the same", ("discrimination",), ()),
    ("women shouldn't be heads, too emotional", ("discrimination",), ()),
    ("she's really a man in a dress", ("discrimination",), ()),
    ("p.a.k.i", ("discrimination",), ()),
    ("Mr Kowalski is a dirty polack", ("discrimination", "staff"), ("kowalski",)),
    ("Is he special needs or something lol", ("discrimination",), ()),
    ("n1gg3r", ("discrimination",), ()),
    (
        "don't let your kids play with the traveller kids, you know what they're like",
        ("discrimination",),
        (),
    ),
]

STAFF_CASES: list[Positive] = [
    ("Mr Brown is a total joke", ("staff",), ("brown",)),
    ("Miss Wood hasn't got a clue what she's doing", ("staff",), ("wood",)),
    ("Mrs Young is useless, still no plan for my son", ("staff",), ("young",)),
    ("the SENCo never replies to emails", ("staff",), ("young",)),
    ("The head should resign", ("staff",), ("patel",)),
    ("Mrs P is an absolute disgrace", ("staff",), ("patel",)),
    ("#sackMrsPatel", ("staff",), ("patel",)),
    ("#KingOut", ("staff",), ("king",)),
    ("Mr Hill screamed at my daughter in front of everyone", ("staff",), ("hill",)),
    ("Mrs Greens so rude on reception", ("staff",), ("green",)),
    ("Ms O'Neill shouldn't be working with children", ("staff",), ("oneill",)),
    ("@MrBrown is a liar", ("staff",), ("brown",)),
    ("Mr Kowalsky picks on the quiet kids", ("staff",), ("kowalski",)),
    ("mr br0wn is clueless", ("staff",), ("brown",)),
    ("Let's all email Mr King at home and tell him what we think", ("staff",), ("king",)),
    ("Tom Brown should be sacked", ("staff",), ("brown",)),
    ("the year 4 teacher is lazy", ("staff",), ("brown",)),
    ("Mrs Patel lied to all of us about the trip money", ("staff",), ("patel",)),
    ("Miss Wood is a nightmare, my girl cries every morning", ("staff",), ("wood",)),
    ("the deputy head is on a power trip", ("staff",), ("king",)),
    ("I reckon Mr Hill turns up hungover", ("staff",), ("hill",)),
    ("Mr Brown kept my son in at break again for no reason", ("staff",), ("brown",)),
    ("Young is incompetent", ("staff",), ("young",)),
    ("Patel is a snake", ("staff",), ("patel",)),
    ("Mrs Young hasn't done anything about the bullying", ("staff",), ("young",)),
    ("mrs patel is the worst head this school has had", ("staff",), ("patel",)),
]

PUPIL: list[Positive] = [
    ("Oliver is a little thug, he punched my son", ("pupil",), ()),
    ("Keep your kids away from Grace", ("pupil",), ()),
    ("Amelia keeps biting the other kids", ("pupil",), ()),
    ("Jack is a spoilt brat", ("pupil",), ()),
    ("Don't invite Oliver to the party, he ruins everything", ("pupil",), ()),
    ("Amelia's behaviour is disgusting and her parents don't care", ("pupil",), ()),
]

PRIVATE: list[Positive] = [
    ("her mobile is 07911 123456 if you want to give her a piece of your mind", ("private",), ()),
    ("Mr Brown's personal number is +44 7700 900123", ("private", "staff"), ("brown",)),
    ("Mrs Patel lives at 14 Oakwood Drive", ("private", "staff"), ("patel",)),
    ("Her address is 3 Church Close, go and tell her yourself", ("private",), ()),
    ("email miss wood at chloe.wood1990@gmail.com", ("private", "staff"), ("wood",)),
    ("Jack's dad is in prison apparently", ("private",), ()),
    ("Amelia's mum has had a breakdown", ("private",), ()),
    ("social services have been round to the Smiths again", ("private",), ()),
    ("Mr Hill has been suspended, don't tell anyone", ("private", "staff"), ("hill",)),
    ("my complaint against Mr King was upheld", ("private",), ()),
    ("her instagram is @chloe_wood_xx", ("private",), ()),
    ("look him up on facebook, facebook.com/tom.brown.5", ("private",), ()),
]

COMPLAINT: list[Positive] = [
    ("This school is an absolute joke", ("complaint",), ()),
    ("The management at this school are clueless", ("complaint",), ()),
    ("Everyone leave a one star review on Google", ("complaint",), ()),
    ("We should all go to the papers about this", ("complaint",), ()),
    ("the school has gone downhill since the new head started", ("complaint",), ()),
    ("the homework policy is a farce", ("complaint",), ()),
    ("I'm pulling my kids out of this school, worst decision we made", ("complaint",), ()),
    ("They only care about our money, not the kids", ("complaint",), ()),
    ("Rubbish school, avoid", ("complaint",), ()),
    ("Post the letter all over facebook, name and shame them", ("complaint",), ()),
]

NEGATIVES: list[tuple[str]] = [
    # idioms and hyperbole
    ("my wife is going to kill me, I forgot the cake sale",),
    ("this heat is killing me",),
    ("I could murder a cup of tea after that assembly",),
    ("the maths homework was a killer this week",),
    ("I nearly died laughing at the nativity",),
    ("the kids smashed it at sports day!",),
    ("Dying to see the photos from the trip",),
    ("we'll beat the traffic if we leave at 3",),
    ("shoot me a message if you need a lift",),
    ("I'm absolutely dead, what a week",),
    ("break a leg to everyone in the play tonight!",),
    ("they thrashed us at rounders lol",),
    # self-deprecation and mild language
    ("I'm such an idiot, left the PE bag on the bus",),
    ("Total muppet moment from me this morning",),
    ("bloody hell it's cold",),
    ("what the hell happened to the weather",),
    ("sod's law it rains on sports day",),
    ("I was a complete numpty and forgot the form",),
    ("I'm a rubbish mum, forgot non uniform day again",),
    # staff named neutrally or kindly
    ("Mr Brown said the spelling test is on Friday",),
    ("Huge thanks to Miss Wood for the lovely reports",),
    ("Mrs Young was brilliant at the EHCP meeting",),
    ("Mr King is running the chess club this term",),
    ("Can someone ask Mr Hill if football is on?",),
    ("Mrs Green in the office is so helpful",),
    ("Mrs Patel's assembly about bullying was really good",),
    ("Mr Brown said the behaviour in class has been awful this week",),
    ("Ms O'Neill read them a joke book and they loved it",),
    ("I'll raise it with Mrs Young at parents evening",),
    ("The head said the trip is going ahead",),
    # everyday words that are also surnames on the roster
    ("The wood in the forest school area is soaking",),
    ("We walked up the hill to the church",),
    ("The king in the nativity was so cute",),
    ("She looks so young in that photo",),
    ("Green day at school on Friday, wear something green",),
    ("The brown paper bags for the cake sale are in the hall",),
    ("Can you believe how young they all look in reception",),
    # pupils named kindly
    ("Well done Oliver on the reading award!",),
    ("Grace and Amelia had the best time at the party",),
    ("Will you be at the gate at 3?",),
    ("Rose was so excited about the trip",),
    ("Jack's mum, is it your turn on the rota?",),
    # Scunthorpe and homonyms
    ("We're going to Scunthorpe for half term",),
    ("Dick Whittington panto tickets are on sale",),
    ("blue tits nesting in the playground box",),
    ("Faggots and peas for tea tonight",),
    ("Cockburn's pantomime at the village hall",),
    ("class assessment results come out next week",),
    ("Who's bringing the knob of butter for the baking?",),
    ("The cocker spaniel at drop off is adorable",),
    ("Spotted Dick and custard on the school dinner menu",),
    ("my son has been reading Moby Dick",),
    ("the snake at the zoo was massive",),
    ("we saw cows and pigs at the farm trip",),
    ("the tooth fairy forgot to come last night",),
    ("there's a fairy in the school play, my daughter is so excited",),
    # private information that is fine to share
    ("my number is 07911 123456 if anyone wants to car share",),
    ("Ring the school office on 01632 960123",),
    ("email the office at office@oakfield.sch.uk",),
    ("text me on 07700 900789 and I'll add you to the rota",),
    ("we live on Church Lane if anyone wants to drop the costume round",),
    ("My son has ADHD so the change of routine is hard",),
    # neutral talk about complaints, groups and the school
    ("Does anyone know how to make a formal complaint?",),
    ("The school has a new policy on phones",),
    ("Eid party for all the families on Saturday, everyone welcome",),
    ("The Polish families are organising a food stall",),
    ("Black History Month assembly was really moving",),
    ("Gypsy Roma Traveller history month display is up in the hall",),
    ("My daughter's best friend is autistic and they're so sweet together",),
    ("the traffic at drop off is a nightmare",),
    ("this weather is a joke",),
    ("the school run was chaos this morning",),
    ("Is school shut tomorrow because of the snow?",),
    ("Five stars to the PTA for the disco",),
    ("The PTA quiz night was brilliant",),
    ("the worst school run traffic ever today",),
    ("Can't wait for the school disco",),
    ("Who's going to the fun run? I'm dead slow but up for it",),
]
