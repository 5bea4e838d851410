## livectl's dashboard in English: the reference catalogue. Every other catalogue has exactly
## these message ids (a unit test checks it).

n-members = { $count ->
    [one] { $count } member
   *[other] { $count } members
}
